import { afterEach, describe, expect, test } from 'bun:test'
import { ErrorCode, type MeshError, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { filter, firstValueFrom, take, toArray } from 'rxjs'
import { WebsocketTransporter } from '../../node.js'
import { WebsocketRelayServer, type WebsocketRelayServerOptions } from '../../relay-server.js'

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function relay(options: Partial<WebsocketRelayServerOptions> = {}) {
  const server = new WebsocketRelayServer({ host: '127.0.0.1', port: 0, logger: silentLogger, ...options })
  await server.ready
  cleanups.push(() => server.close())
  return { server, url: `ws://127.0.0.1:${server.port}` }
}

async function node(url: string, nodeId: string) {
  const transporter = new WebsocketTransporter({ reconnectIntervalMs: 50, onWarning: () => {} })
  transporter.connect(url)
  const mesh = new SpiderMesh({ nodeId, logger: silentLogger }).registerTransporter(transporter)
  cleanups.push(() => mesh.close())
  await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(url) === 'connected')))
  return mesh
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: 'resolved', message: '' }) as MeshError,
    (e) => e as MeshError,
  )

/** Publishes `from..to-1` and waits until a plain listener on another node heard the last one. */
async function publishAll(
  server: WebsocketRelayServer,
  publisher: SpiderMesh,
  witness: SpiderMesh,
  topic: string,
  from: number,
  to: number,
) {
  const before = server.stats().subscriptions
  const heard = firstValueFrom(witness.listen<number>(topic).pipe(filter((v) => v === to - 1)))
  // The witness's subscription must be at the relay before the messages are.
  for (let i = 0; i < 200 && server.stats().subscriptions === before; i++) await Bun.sleep(5)
  for (let i = from; i < to; i++) publisher.publish(topic, i)
  await heard
}

describe.each(['bun', 'node'] as const)('topic history in memory (%s adapter)', (adapter) => {
  test('replays the last n retained messages oldest first, then live ones', async () => {
    const { server, url } = await relay({ adapter, topics: { 'chat.*': { retain: 5 } } })
    const publisher = await node(url, 'publisher')
    const witness = await node(url, 'witness')
    await publishAll(server, publisher, witness, 'chat.room', 0, 8)
    const listener = await node(url, 'listener')
    const got = firstValueFrom(listener.listen<number>('chat.room', { history: 3 }).pipe(take(5), toArray()))
    const replayed = firstValueFrom(
      listener.listen<number>('chat.room', { history: 100 }).pipe(take(5), toArray()),
    )
    expect(await replayed).toEqual([3, 4, 5, 6, 7])
    publisher.publish('chat.room', 8)
    publisher.publish('chat.room', 9)
    expect(await got).toEqual([5, 6, 7, 8, 9])
  })

  test('a plain listener and a history listener of one topic on one node both get every message', async () => {
    const { server, url } = await relay({ adapter, topics: { room: { retain: 10 } } })
    const publisher = await node(url, 'publisher')
    const both = await node(url, 'both')
    await publishAll(server, publisher, both, 'room', 0, 2)
    const plain = firstValueFrom(both.listen<number>('room').pipe(take(2), toArray()))
    const withHistory = firstValueFrom(both.listen<number>('room', { history: 10 }).pipe(take(4), toArray()))
    // The history listener has subscribed once it replayed the two retained messages.
    await firstValueFrom(both.listen<number>('room', { history: 1 }))
    publisher.publish('room', 2)
    publisher.publish('room', 3)
    expect(await withHistory).toEqual([0, 1, 2, 3])
    expect(await plain).toEqual([2, 3])
  })

  test('expired messages are not replayed (ttlMs)', async () => {
    const { server, url } = await relay({ adapter, topics: { news: { retain: 10, ttlMs: 150 } } })
    const publisher = await node(url, 'publisher')
    const witness = await node(url, 'witness')
    await publishAll(server, publisher, witness, 'news', 0, 3)
    await Bun.sleep(250)
    await publishAll(server, publisher, witness, 'news', 3, 5)
    const listener = await node(url, 'listener')
    expect(
      await firstValueFrom(listener.listen<number>('news', { history: 10 }).pipe(take(2), toArray())),
    ).toEqual([3, 4])
  })

  test('a topic without a policy fails with TOPIC_NOT_RETAINED naming the topics option', async () => {
    const { url } = await relay({ adapter, topics: { 'chat.*': { retain: 5 } } })
    const listener = await node(url, 'listener')
    const err = await failure(firstValueFrom(listener.listen('other', { history: 1 })))
    expect(err.code).toBe(ErrorCode.TOPIC_NOT_RETAINED)
    expect(err.message).toContain('`topics` option')
  })

  test('a caller that may not subscribe to the topic gets ACCESS_DENIED', async () => {
    const { url } = await relay({
      adapter,
      topics: { '*': { retain: 5 } },
      access: () => ({ subscribe: ['public.*'], publish: ['*'] }),
    })
    const listener = await node(url, 'listener')
    expect((await failure(firstValueFrom(listener.listen('secret', { history: 1 })))).code).toBe(
      ErrorCode.ACCESS_DENIED,
    )
  })
})

describe('listen options', () => {
  test('history must be a non-negative integer, checked at the call', () => {
    const mesh = new SpiderMesh({ logger: silentLogger })
    cleanups.push(() => mesh.close())
    for (const history of [-1, 1.5, '3', Number.NaN]) {
      expect(() => mesh.listen('t', { history: history as number })).toThrow(
        /history must be a non-negative integer/,
      )
    }
  })

  test('the relay refuses bad topics policies with INVALID_OPTION', () => {
    for (const topics of [
      { a: { retain: 0 } },
      { a: { retain: 100_001 } },
      { a: { retain: 5, ttlMs: -1 } },
      { a: null },
      [] as unknown,
    ]) {
      expect(
        () => new WebsocketRelayServer({ port: 0, topics: topics as WebsocketRelayServerOptions['topics'] }),
      ).toThrow(/Invalid WebsocketRelayServer option topics/)
    }
  })
})
