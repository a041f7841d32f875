import { afterEach, describe, expect, test } from 'bun:test'
import { interval, lastValueFrom, map, range, take, toArray } from 'rxjs'
import { Microservice } from '../api/microservice.js'
import { RemoteServiceLinker } from '../api/remote-service-linker.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { SpiderMesh } from './spider-mesh.js'

/** Counts what its generator produced, so a test can see the producer was slowed. */
@Microservice({ name: 'Source' })
class Source {
  produced = 0
  async *counter(limit: number) {
    for (let i = 0; i < limit; i++) {
      this.produced++
      yield i
    }
  }
  /** A hot source: emits every ms whatever the caller takes. */
  hot(size: number) {
    return interval(1).pipe(map((i) => `${i}:${'x'.repeat(size)}`))
  }
  cold(count: number) {
    return range(0, count)
  }
}

const pool = new MeshPool()
afterEach(() => pool.closeAll())
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function setup(options: { maxStreamBufferBytes?: number } = {}) {
  const bus = new InProcessTransporter()
  const provider = pool.add(new SpiderMesh({ nodeId: 'provider', ...options }).registerTransporter(bus))
  const source = new Source()
  await provider.provide(source)
  return { source, caller: pool.node(bus, 'caller') }
}

describe('flow control of streams', () => {
  test('for await pulls a generator no faster than the loop reads: produced ≤ taken + window', async () => {
    const { source, caller } = await setup()
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source', window: 8 })
    let taken = 0
    for await (const value of proxy.counter(100_000)) {
      expect(value).toBe(taken)
      taken++
      await sleep(2)
      if (taken === 30) break
    }
    await sleep(20)
    expect(source.produced).toBeGreaterThanOrEqual(30)
    // The window (8) plus the one being produced when the last grant arrived.
    expect(source.produced).toBeLessThanOrEqual(30 + 8 + 1)
  })

  test('a subscriber gets every value of a large cold stream in order, window after window', async () => {
    const { caller } = await setup()
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source', window: 16 })
    const values = await lastValueFrom(proxy.cold(5000).pipe(toArray()))
    expect(values).toEqual(Array.from({ length: 5000 }, (_, i) => i))
    const pulled = await lastValueFrom(proxy.counter(1000).withWindow(4).pipe(toArray()))
    expect(pulled).toHaveLength(1000)
  })

  test('a hot Observable past maxStreamBufferBytes fails with STREAM_OVERFLOW instead of growing', async () => {
    const { caller } = await setup({ maxStreamBufferBytes: 4096 })
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source', window: 2 })
    const iterator = proxy.hot(500)[Symbol.asyncIterator]()
    expect((await iterator.next()).done).toBe(false)
    // The loop stops reading; the source keeps emitting into the provider's bounded buffer.
    await sleep(200)
    const seen: unknown[] = []
    let failure: MeshError | undefined
    try {
      for (;;) {
        const step = await iterator.next()
        if (step.done) break
        seen.push(step.value)
      }
    } catch (err) {
      failure = err as MeshError
    }
    expect(failure?.code).toBe(ErrorCode.STREAM_OVERFLOW)
    expect(failure?.message).toContain('maxStreamBufferBytes')
    expect(seen.length).toBeLessThan(20)
  })

  test('a synchronous source of a billion values overflows and stops at once instead of running to the end', async () => {
    const { caller } = await setup({ maxStreamBufferBytes: 64 * 1024 })
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source', window: 4 })
    const started = Date.now()
    const err = await lastValueFrom(proxy.cold(1_000_000_000)).catch((e: MeshError) => e)
    expect((err as MeshError).code).toBe(ErrorCode.STREAM_OVERFLOW)
    expect(Date.now() - started).toBeLessThan(2000)
  })

  test('leaving a for await loop cancels the call at the provider', async () => {
    const { source, caller } = await setup()
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source', window: 4 })
    for await (const value of proxy.counter(1_000_000)) if (value === 3) break
    await sleep(20)
    const produced = source.produced
    await sleep(20)
    expect(source.produced).toBe(produced)
  })

  test('await takes the first value of a generator and stops it', async () => {
    const { source, caller } = await setup()
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source' })
    expect(await proxy.counter(1_000_000)).toBe(0)
    await sleep(30)
    expect(source.produced).toBeLessThan(1000)
  })

  test('windows are validated', () => {
    const caller = pool.node(new InProcessTransporter(), 'caller')
    expect(() => RemoteServiceLinker.link(caller, { service: 'S', window: 0 })).toThrow(/window/)
    const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'S' })
    expect(() => proxy.cold(1).withWindow(1.5)).toThrow(/withWindow/)
    expect(() => new SpiderMesh({ maxStreamBufferBytes: -1 })).toThrow(/maxStreamBufferBytes/)
  })
})

test('take() on a subscribed stream ends it (no flow control surprise for rxjs operators)', async () => {
  const { caller } = await setup()
  const proxy = RemoteServiceLinker.link<Source>(caller, { service: 'Source', window: 2 })
  expect(await lastValueFrom(proxy.counter(1_000_000).pipe(take(5), toArray()))).toEqual([0, 1, 2, 3, 4])
})
