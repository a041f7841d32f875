import { afterEach, describe, expect, test } from 'bun:test'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { MeshPool } from '../test-support/mesh-pool.js'
import { InProcessTransporter } from '../transport/in-process-transporter.js'
import { Microservice } from './microservice.js'
import { RemoteServiceLinker } from './remote-service-linker.js'

@Microservice({ name: 'Shard' })
class Shard {
  readonly held: (() => void)[] = []
  constructor(readonly id: string) {}
  owner(_key: string) {
    return this.id
  }
  /** Holds the call until released: it stays in flight. */
  hold() {
    return new Promise<string>((resolve) => this.held.push(() => resolve(this.id)))
  }
}

const pool = new MeshPool()
afterEach(() => pool.closeAll())

async function shards(ids: string[]) {
  const bus = new InProcessTransporter()
  const instances = await Promise.all(
    ids.map(async (id) => {
      const shard = new Shard(id)
      await pool.node(bus, id).provide(shard)
      return shard
    }),
  )
  return { instances, caller: pool.node(bus, 'caller'), bus }
}

describe('balance', () => {
  test('{ hash }: calls with the same key go to the same provider', async () => {
    const { caller } = await shards(['s1', 's2', 's3'])
    const proxy = RemoteServiceLinker.link<Shard>(caller, {
      service: 'Shard',
      balance: { hash: ([key]) => String(key) },
    })
    for (const key of ['alice', 'bob', 'carol', 'dave']) {
      const owners = new Set(await Promise.all(Array.from({ length: 5 }, () => proxy.owner(key))))
      expect(owners.size).toBe(1)
    }
    // Round-robin per call, on the same link.
    const spread = new Set(
      await Promise.all(Array.from({ length: 6 }, () => proxy.owner('alice').withBalance('round-robin'))),
    )
    expect(spread.size).toBe(3)
  })

  test("'least-in-flight': a provider holding calls gets none of the next ones", async () => {
    const { instances, caller } = await shards(['busy', 'idle'])
    const proxy = RemoteServiceLinker.link<Shard>(caller, { service: 'Shard', balance: 'least-in-flight' })
    // Pinned calls make "busy" busy.
    const pinned = RemoteServiceLinker.link<Shard>(caller, { service: 'Shard', node_id: 'busy' })
    const holding = [pinned.hold().then((v) => v), pinned.hold().then((v) => v)]
    await new Promise((resolve) => setTimeout(resolve, 5))
    // One at a time: each sees "busy" with 2 in flight and "idle" with none (round-robin would alternate).
    const answers: string[] = []
    for (let i = 0; i < 4; i++) answers.push(await proxy.owner('x'))
    expect(answers).toEqual(['idle', 'idle', 'idle', 'idle'])
    for (const release of instances[0]!.held) release()
    await Promise.all(holding)
  })

  test('bad balances are INVALID_OPTION; a hash that throws fails only that call', async () => {
    const { caller } = await shards(['s1'])
    const link = (balance: unknown) =>
      RemoteServiceLinker.link(caller, { service: 'Shard', balance: balance as never })
    expect(() => link('random')).toThrow(/balance/)
    expect(() => link({ hash: 'nope' })).toThrow(/balance/)
    const proxy = RemoteServiceLinker.link<Shard>(caller, {
      service: 'Shard',
      balance: { hash: () => ({}) as never },
    })
    const err = await Promise.resolve(proxy.owner('x')).catch((e: MeshError) => e)
    expect((err as MeshError).code).toBe(ErrorCode.INVALID_OPTION)
    expect(() => proxy.owner('x').withBalance('sideways' as never)).toThrow(/balance/)
  })
})
