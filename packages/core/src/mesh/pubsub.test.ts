import { afterEach, beforeEach, describe, expect, test } from 'bun:test'
import { firstValueFrom, take, toArray } from 'rxjs'
import { defineTopic } from '../api/topic.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { silentLogger } from './logger.js'
import { SpiderMesh } from './spider-mesh.js'

const Chat = defineTopic<{ from: string; text: string; at: Date }>('chat')
let bus: InProcessTransporter
let a: SpiderMesh
let b: SpiderMesh
let c: SpiderMesh

beforeEach(() => {
  bus = new InProcessTransporter({ unsubscribeDelayMs: 30 })
  a = new SpiderMesh({ nodeId: 'a', logger: silentLogger }).registerTransporter(bus)
  b = new SpiderMesh({ nodeId: 'b', logger: silentLogger }).registerTransporter(bus)
  c = new SpiderMesh({ nodeId: 'c', logger: silentLogger }).registerTransporter(bus)
})
afterEach(async () => {
  await Promise.all([a.close(), b.close(), c.close()])
})

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms))

describe('pub/sub', () => {
  test('typed messages reach listeners on other nodes and on the publisher, values intact', async () => {
    const remote = firstValueFrom(b.listen(Chat))
    const local = firstValueFrom(a.listen(Chat))
    const message = { from: 'ada', text: 'hi 🕷️', at: new Date(1) }
    a.publish(Chat, message)
    expect(await remote).toEqual(message)
    expect(await local).toEqual(message)
  })
  test('only subscribed nodes receive', async () => {
    const got: string[] = []
    const sub = b.listen<string>('news').subscribe((m) => got.push(`b:${m}`))
    c.listen<string>('other').subscribe((m) => got.push(`c:${m}`))
    a.publish('news', 'one')
    await tick()
    expect(got).toEqual(['b:one'])
    sub.unsubscribe()
  })
  test('messages arrive in publish order', async () => {
    const all = firstValueFrom(b.listen<number>('seq').pipe(take(100), toArray()))
    for (let i = 0; i < 100; i++) a.publish('seq', i)
    expect(await all).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })
  test('the subscription outlives the last listener by unsubscribeDelayMs, then ends', async () => {
    b.listen<number>('t').subscribe().unsubscribe()
    expect(bus.subscribers('t')).toEqual(['b'])
    await tick(60)
    expect(bus.subscribers('t')).toEqual([])
  })
  test('a listener returning within the delay keeps the subscription', async () => {
    b.listen<number>('t').subscribe().unsubscribe()
    const back = firstValueFrom(b.listen<number>('t'))
    await tick(60)
    expect(bus.subscribers('t')).toEqual(['b'])
    a.publish('t', 1)
    expect(await back).toBe(1)
  })
  test('publishing something unserialisable throws INVALID_ARGUMENTS', () => {
    expect(() => a.publish('x', { f: () => 1 })).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_ARGUMENTS }),
    )
  })
  test('a bad topic name throws INVALID_OPTION', () => {
    expect(() => a.publish('', 1)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
    expect(() => defineTopic('')).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION }))
  })
  test('listeners complete when the mesh closes', async () => {
    const done = new Promise<void>((resolve) => b.listen('x').subscribe({ complete: resolve }))
    await b.close()
    await done
  })
})
