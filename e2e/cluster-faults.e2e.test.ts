import { describe, expect, test } from 'bun:test'
import type { Matrix } from './fixtures/services.js'
import {
  firstMatching,
  publishUntilHeard,
  rejectionOf,
  relayJson,
  startClient,
  startCluster,
  startProvider,
  startRelay,
  until,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

type Health = { status: string; cluster: { state: string; relays: number } }

describe('pub/sub across relays (real relays and nats-server)', () => {
  test('a publish reaches every subscriber in the cluster exactly once, also one on two relays', async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    const [a, b, c] = relays.map((r) => r.url) as [string, string, string]
    const onB = await startProvider({ relayUrl: b, nodeId: 'sub-b' })
    const onBoth = await startProvider({ relayUrl: [b, c], nodeId: 'sub-bc' })
    const onA = await startProvider({ relayUrl: a, nodeId: 'sub-a' })
    for (const sub of [onB, onBoth, onA]) {
      sub.write('LISTEN news')
      await sub.waitForLine(/^LISTENING news$/)
    }
    const publisher = await startClient(c)
    // Subscriptions travel relay → NATS asynchronously: publish until everyone has heard once.
    await publishUntilHeard(publisher, 'news', 'warm-up', [onB, onBoth, onA])
    const marks = [onB, onBoth, onA].map((s) => s.mark())
    for (let i = 0; i < 20; i++) publisher.mesh.publish('news', i)
    publisher.mesh.publish('news', 'end')
    await Promise.all([onB, onBoth, onA].map((s, i) => s.waitForLine(/^MSG news "end"$/, { from: marks[i] })))
    // Give a duplicate the time to show up before counting.
    await new Promise((r) => setTimeout(r, 200))
    for (const [i, sub] of [onB, onBoth, onA].entries()) {
      const got = sub.matching(/^MSG news (\d+)$/, marks[i]).map((match) => Number(match[1]))
      expect(got).toEqual(Array.from({ length: 20 }, (_, n) => n))
    }
  })

  test('a relay subscribes a topic on NATS only while one of its nodes listens', async () => {
    const { relays } = await startCluster(['A', 'B'])
    const [a, b] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}]
    const listenerB = await startProvider({ relayUrl: b.url, nodeId: 'int-b' })
    const publisher = await startClient(b.url)
    const fromNats = async () => {
      const text = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text()
      return Number(/spider_mesh_cluster_publications_total\{direction="in"\} (\d+)/.exec(text)?.[1])
    }
    listenerB.write('LISTEN quiet')
    await listenerB.waitForLine(/^LISTENING quiet$/)
    // The listener's Subscribe and the publisher's messages race on two connections: publish
    // until it hears one.
    await publishUntilHeard(publisher, 'quiet', 'local', [listenerB])
    // Relay A has no listener: the topic's NATS subject never reached it.
    expect(await fromNats()).toBe(0)

    const listenerA = await startProvider({ relayUrl: a.url, nodeId: 'int-a' })
    listenerA.write('LISTEN quiet')
    await listenerA.waitForLine(/^LISTENING quiet$/)
    await publishUntilHeard(
      publisher,
      'quiet',
      'again',
      [listenerA],
      'relay A to get the topic once one of its nodes listens',
    )
    expect(await fromNats()).toBeGreaterThan(0)
  })
})

describe('cluster faults (real relays and nats-server)', () => {
  test('NATS killed: each relay serves its own nodes, remote calls fail fast, /health degraded; NATS back: calls cross again', async () => {
    const { nats, relays } = await startCluster(['A', 'B'])
    const [a, b] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}]
    await startProvider({ relayUrl: a.url, nodeId: 'nf-a', services: ['Other'] })
    await startProvider({ relayUrl: b.url, nodeId: 'nf-b' })
    const client = await startClient(b.url)
    const local = client.link<Matrix>('Matrix')
    const remote = client.link<{ ping(): string }>('Other', { timeout: 3000 })
    await remote.wait({ timeout: 5000 })
    expect(await remote.ping()).toBe('pong')

    nats.kill()
    await until(
      'relay B to say degraded',
      async () => (await relayJson<Health>(b, '/health')).status === 'degraded',
    )
    const health = await relayJson<Health>(b, '/health')
    expect(health.cluster.state).toBe('down')
    expect(await local.whoami()).toBe('nf-b')
    const started = Date.now()
    const err = await rejectionOf(remote.ping())
    expect(['CLUSTER_UNAVAILABLE', 'MICROSERVICE_OFFLINE']).toContain(err.code ?? '')
    expect(Date.now() - started).toBeLessThan(1000)

    await nats.restart()
    const restartedAt = Date.now()
    await until(
      'a call to relay A’s provider to work again',
      async () => (await remote.ping().catch(() => '')) === 'pong',
      10_000,
    )
    expect(Date.now() - restartedAt).toBeLessThan(5000)
    expect((await relayJson<Health>(b, '/health')).status).toBe('ok')
    // No ghost nodes: B lists exactly the two providers and the client.
    const directory = await relayJson<{ nodes: { node_id: string }[] }>(b, '/directory')
    expect(directory.nodes.map((n) => n.node_id).sort()).toEqual(['nf-a', 'nf-b', client.mesh.nodeId].sort())
  })

  test('changes missed during a NATS outage are re-synced from a snapshot: no stale provider, no ghost', async () => {
    const { nats, relays } = await startCluster(['A', 'B'])
    const [a, b] = relays as [(typeof relays)[0] & {}, (typeof relays)[0] & {}]
    const old = await startProvider({ relayUrl: a.url, nodeId: 'gap-old' })
    const client = await startClient(b.url)
    const matrix = client.link<Matrix>('Matrix')
    await firstMatching(matrix.watch(), 'the old provider through B', 5000, (n) => n.length === 1)
    nats.kill()
    await until(
      'relay A to see NATS down',
      async () => (await relayJson<Health>(a, '/health')).status === 'degraded',
    )
    // While B cannot hear it, A loses one provider and gains another: two deltas B misses.
    old.kill('SIGKILL')
    await until('relay A to drop the old provider', async () => (await a.stats()).nodes === 0)
    await startProvider({ relayUrl: a.url, nodeId: 'gap-new' })
    await nats.restart()
    await firstMatching(
      matrix.watch(),
      'B to see exactly the new provider',
      10_000,
      (nodes) => nodes.length === 1 && nodes[0]!.node_id === 'gap-new',
    )
    expect(await within(3000, 'a call to the new provider', matrix.whoami())).toBe('gap-new')
    const directory = await relayJson<{ nodes: { node_id: string }[] }>(b, '/directory')
    expect(directory.nodes.map((n) => n.node_id).filter((id) => id.startsWith('gap-'))).toEqual(['gap-new'])
  })

  test('a relay starts and serves its own nodes while NATS is unreachable, and joins when it comes', async () => {
    const { nats, relays } = await startCluster(['A'])
    nats.kill()
    const lonely = await startRelay({ name: 'relay lonely', nats: nats.url, clusterName: 'Lonely' })
    await startProvider({ relayUrl: lonely.url, nodeId: 'lonely-p' })
    const client = await startClient(lonely.url)
    const matrix = client.link<Matrix>('Matrix')
    await matrix.wait({ timeout: 5000 })
    expect(await matrix.whoami()).toBe('lonely-p')
    expect((await relayJson<Health>(lonely, '/health')).status).toBe('degraded')
    await nats.restart()
    const far = await startClient(relays[0]!.url)
    const viaA = far.link<Matrix>('Matrix')
    await firstMatching(viaA.watch(), 'relay A to learn the late relay’s node', 10_000, (n) => n.length === 1)
    expect(await within(3000, 'a call across', viaA.whoami())).toBe('lonely-p')
  })
})
