import { describe, expect, test } from 'bun:test'
import type { DiscoveryEvent } from '@spider-mesh/ws/node'
import type { Matrix } from './fixtures/services.js'
import {
  firstMatching,
  relayJson,
  startClient,
  startCluster,
  startProvider,
  startRelay,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

type Directory = { nodes: { node_id: string; relay: string; services: string[] }[] }

describe('cluster directory (real relays and nats-server)', () => {
  test('a provider on relay A is discovered, changed and removed through relay B, one event each', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const [a, b] = relays as [NonNullable<(typeof relays)[0]>, NonNullable<(typeof relays)[0]>]
    const client = await startClient(b.url)
    const events: DiscoveryEvent[] = []
    client.transporter.discovery$.subscribe((event) => events.push(event))
    const matrix = client.link<Matrix>('Matrix')
    const provider = await startProvider({ relayUrl: a.url, nodeId: 'dir-p1' })
    await matrix.wait({ timeout: 5000 })
    expect(matrix.nodes.map((n) => n.node_id)).toEqual(['dir-p1'])
    const directory = await relayJson<Directory>(b, '/directory')
    expect(directory.nodes.find((n) => n.node_id === 'dir-p1')?.relay).toBe('A')

    provider.write('SERVE Other')
    await provider.waitForLine(/^SERVING /)
    await until('the change to reach relay B', () => events.some((e) => e.type === 'changed'))
    provider.write('UNSERVE Other')
    await until('the second change', () => events.filter((e) => e.type === 'changed').length === 2)
    provider.kill('SIGTERM')
    await firstMatching(
      matrix.watch(),
      'the provider to leave through B',
      5000,
      (nodes) => nodes.length === 0,
    )
    await until('the offline event', () => events.some((e) => e.type === 'offline'))
    expect(events.map((e) => `${e.type} ${e.node_id}`)).toEqual([
      'discovered dir-p1',
      'changed dir-p1',
      'changed dir-p1',
      'offline dir-p1',
    ])
  })

  test('a relay that joins late learns the existing nodes from a snapshot', async () => {
    const { nats, relays } = await startCluster(['A'])
    await startProvider({ relayUrl: relays[0]!.url, nodeId: 'late-p1' })
    const late = await startRelay({ name: 'relay late', nats: nats.url, clusterName: 'Late' })
    const client = await startClient(late.url)
    const matrix = client.link<Matrix>('Matrix')
    await matrix.wait({ timeout: 5000 })
    expect(await matrix.whoami()).toBe('late-p1')
  })

  test('a SIGKILLed relay has its nodes removed everywhere within 5 s; a stopped one at once', async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    const [a, b, c] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}, (typeof relays)[0] & {}]
    await startProvider({ relayUrl: a.url, nodeId: 'kill-pa' })
    await startProvider({ relayUrl: b.url, nodeId: 'stop-pb' })
    const client = await startClient(c.url)
    const matrix = client.link<Matrix>('Matrix')
    await firstMatching(matrix.watch(), 'both providers through C', 5000, (nodes) => nodes.length === 2)

    a.proc.kill('SIGKILL')
    const killedAt = Date.now()
    await firstMatching(matrix.watch(), 'the killed relay’s node to leave', 5000, (nodes) =>
      nodes.every((n) => n.node_id !== 'kill-pa'),
    )
    expect(Date.now() - killedAt).toBeLessThan(5000)

    b.proc.kill('SIGTERM')
    const stoppedAt = Date.now()
    await firstMatching(
      matrix.watch(),
      'the stopped relay’s node to leave',
      5000,
      (nodes) => nodes.length === 0,
    )
    // Graceful: the relay withdraws its nodes before it drains (its nodes' own Goodbye acks take
    // the drain's time, not this).
    expect(Date.now() - stoppedAt).toBeLessThan(1500)
    // The stopped relay still drains its own nodes' calls, then says Bye.
    await until('relay C to count only itself', async () => {
      const health = await relayJson<{ cluster: { relays: number } }>(c, '/health')
      return health.cluster.relays === 1
    })
  })

  test('a node connected to two relays of one cluster is discovered once and fails over', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const [a, b] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}]
    const client = await startClient([a.url, b.url])
    const events: DiscoveryEvent[] = []
    client.transporter.discovery$.subscribe((event) => events.push(event))
    const provider = await startProvider({ relayUrl: [a.url, b.url], nodeId: 'twice-p1' })
    const matrix = client.link<Matrix>('Matrix')
    await matrix.wait({ timeout: 5000 })
    expect(matrix.nodes.map((n) => n.node_id)).toEqual(['twice-p1'])
    a.proc.kill('SIGKILL')
    await client.connected(b.url)
    await until(
      'a call through the surviving relay',
      async () => (await matrix.whoami().catch(() => '')) === 'twice-p1',
    )
    expect(events.filter((e) => e.node_id === 'twice-p1').map((e) => e.type)).toEqual(['discovered'])
    provider.kill('SIGTERM')
  })
})
