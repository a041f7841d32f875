import { afterEach, expect, test } from 'bun:test'
import { lastValueFrom, toArray } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import type { FanOutResult } from './fan-out.js'
import { Microservice } from './microservice.js'
import { RemoteServiceLinker } from './remote-service-linker.js'

@Microservice({ name: 'Cache' })
class Cache {
  constructor(readonly behave: 'ok' | 'throw' | 'hang') {}
  flush(tag: string) {
    if (this.behave === 'throw') throw Object.assign(new Error('disk full'), { code: 'E_DISK' })
    if (this.behave === 'hang') return new Promise(() => {})
    return `flushed ${tag}`
  }
}

const pool = new MeshPool()
afterEach(() => pool.closeAll())
const node = (bus: InProcessTransporter, nodeId: string) => pool.node(bus, nodeId)

const byNode = (results: FanOutResult<unknown>[]) =>
  Object.fromEntries(
    results.map((r) => [r.node_id, 'error' in r ? (r.error as MeshError).code : r.value] as const),
  )

test('calls every provider once and gives each one’s value or error, then completes', async () => {
  const bus = new InProcessTransporter()
  await node(bus, 'a').provide(new Cache('ok'))
  await node(bus, 'b').provide(new Cache('throw'))
  await node(bus, 'c').provide(new Cache('hang'))
  const cache = RemoteServiceLinker.link<Cache>(node(bus, 'caller'), { service: 'Cache', timeout: 200 })
  await cache.wait({ timeout: 1000 })
  const started = Date.now()
  const results = await lastValueFrom(RemoteServiceLinker.all(cache).flush('x').pipe(toArray()))
  expect(byNode(results)).toEqual({ a: 'flushed x', b: 'E_DISK', c: ErrorCode.MICROSERVICE_RPC_TIMEOUT })
  // The silent provider is an error after its timeout, not a hang.
  expect(Date.now() - started).toBeLessThan(2000)
})

test('a pinned proxy fans out to its node only; no provider at all is an error, not an empty success', async () => {
  const bus = new InProcessTransporter()
  await node(bus, 'a').provide(new Cache('ok'))
  await node(bus, 'b').provide(new Cache('ok'))
  const caller = node(bus, 'caller')
  const pinned = RemoteServiceLinker.link<Cache>(caller, { service: 'Cache', node_id: 'b' })
  await pinned.wait({ timeout: 1000 })
  const one = await lastValueFrom(RemoteServiceLinker.all(pinned).flush('y').pipe(toArray()))
  expect(byNode(one)).toEqual({ b: 'flushed y' })
  const nobody = RemoteServiceLinker.link<Cache>(caller, { service: 'Nobody' })
  const err = await lastValueFrom(RemoteServiceLinker.all(nobody).flush('z')).catch((e: MeshError) => e)
  expect((err as MeshError).code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  expect(() => RemoteServiceLinker.all({} as never)).toThrow(/all\(\) needs a proxy/)
})
