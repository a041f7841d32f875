import { describe, expect, test } from 'bun:test'
import type { Matrix } from './fixtures/services.js'
import {
  firstMatching,
  startClient,
  startCluster,
  startProvider,
  startRelay,
  useCleanup,
} from './harness/index.js'

useCleanup()

const keys = Array.from({ length: 400 }, (_, i) => `user-${i}`)

describe('balancing chosen per link through real relays', () => {
  test('{ hash }: each key stays on one provider; a fourth provider takes about a quarter of the keys, all from the others', async () => {
    const relay = await startRelay()
    for (const id of ['shard-1', 'shard-2', 'shard-3'])
      await startProvider({ relayUrl: relay.url, nodeId: id })
    const client = await startClient(relay.url)
    const matrix = client.link<Matrix>('Matrix', { balance: { hash: ([key]) => String(key) } })
    await firstMatching(matrix.watch(), 'three providers', 5000, (nodes) => nodes.length === 3)
    const owners = async () =>
      new Map(await Promise.all(keys.map(async (key) => [key, await matrix.owner(key)] as const)))
    const before = await owners()
    expect(await owners()).toEqual(before)
    expect(new Set(before.values()).size).toBe(3)

    await startProvider({ relayUrl: relay.url, nodeId: 'shard-4' })
    await firstMatching(matrix.watch(), 'four providers', 5000, (nodes) => nodes.length === 4)
    const after = await owners()
    const moved = keys.filter((key) => before.get(key) !== after.get(key))
    // Measured share of keys that moved (ideal 1/4); only to the newcomer.
    const share = moved.length / keys.length
    expect(share).toBeGreaterThan(0.1)
    expect(share).toBeLessThan(0.45)
    expect(moved.every((key) => after.get(key) === 'shard-4')).toBe(true)
  })

  test("'least-in-flight': while one provider holds slow calls, the next calls go to the other", async () => {
    const relay = await startRelay()
    await startProvider({ relayUrl: relay.url, nodeId: 'lif-busy' })
    await startProvider({ relayUrl: relay.url, nodeId: 'lif-idle' })
    const client = await startClient(relay.url)
    const pinned = client.link<Matrix>('Matrix', { node_id: 'lif-busy', timeout: 0 })
    const matrix = client.link<Matrix>('Matrix', { balance: 'least-in-flight' })
    await firstMatching(matrix.watch(), 'two providers', 5000, (nodes) => nodes.length === 2)
    const slow = [pinned.slow(1500).then((v) => v), pinned.slow(1500).then((v) => v)]
    await new Promise((resolve) => setTimeout(resolve, 100))
    const answers: string[] = []
    for (let i = 0; i < 6; i++) answers.push(await matrix.whoami())
    expect(answers).toEqual(Array(6).fill('lif-idle'))
    await Promise.all(slow)
  })

  test('{ hash } across a 3-relay cluster: a key keeps its provider whichever relay the caller uses', async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    for (const [i, relay] of relays.entries())
      await startProvider({ relayUrl: relay.url, nodeId: `ring-${i + 1}` })
    const callers = await Promise.all(relays.map((relay) => startClient(relay.url)))
    const proxies = callers.map((c) =>
      c.link<Matrix>('Matrix', { balance: { hash: ([key]) => String(key) } }),
    )
    for (const proxy of proxies)
      await firstMatching(proxy.watch(), 'three providers', 8000, (nodes) => nodes.length === 3)
    for (const key of keys.slice(0, 30)) {
      const owners = new Set(await Promise.all(proxies.map((proxy) => proxy.owner(key))))
      expect(owners.size).toBe(1)
    }
  })
})
