import { describe, expect, test } from 'bun:test'
import { Microservice } from '@spider-mesh/core'
import type { Matrix } from './fixtures/services.js'
import {
  ADAPTERS,
  firstMatching,
  startClient,
  startProvider,
  startRelay,
  type TestClient,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

interface DiscoveryEvent {
  type: 'discovered' | 'changed' | 'offline'
  node_id: string
  services: string[]
  url: string
}

@Microservice({ name: 'Observer' })
class Observer {
  ping() {
    return 'pong'
  }
}

/**
 * Records a client's discovery events and checks each one against the state the earlier ones
 * built, per relay URL (events say which relay saw the change): `discovered` only for an unknown
 * node, `changed` only with a different service list, `offline` only for a known node. A
 * duplicate (an event that changes nothing) is a violation.
 */
function recordDiscovery(client: TestClient) {
  const events: DiscoveryEvent[] = []
  const known = new Map<string, string>()
  const violations: string[] = []
  client.transporter.discovery$.subscribe((event: DiscoveryEvent) => {
    events.push(event)
    const services = JSON.stringify([...event.services].sort())
    const key = `${event.url} ${event.node_id}`
    const before = known.get(key)
    const describe = `${event.type} ${event.node_id} ${services} (known before: ${before ?? 'no'})`
    if (event.node_id === client.mesh.nodeId) violations.push(`event about self: ${describe}`)
    if (event.type === 'discovered' && before !== undefined) violations.push(`duplicate: ${describe}`)
    if (event.type === 'changed' && (before === undefined || before === services))
      violations.push(`no change: ${describe}`)
    if (event.type === 'offline' && before === undefined)
      violations.push(`offline for unknown node: ${describe}`)
    if (event.type === 'offline') known.delete(key)
    else known.set(key, services)
  })
  const about = (nodeId: string, url?: string) =>
    events
      .filter((e) => e.node_id === nodeId && (url === undefined || e.url === url))
      .map((e) => (e.type === 'offline' ? 'offline' : `${e.type} ${[...e.services].sort()}`))
  const next = (what: string, predicate: (e: DiscoveryEvent) => boolean, ms = 3000) =>
    firstMatching(client.transporter.discovery$, what, ms, predicate)
  return { events, violations, about, next }
}

for (const adapter of ADAPTERS) {
  describe(`discovery and status (${adapter} relay)`, () => {
    test('discovery events fire once per real change: not per request, never for self', async () => {
      const relay = await startRelay({ adapter })
      const client = await startClient(relay.url)
      await client.mesh.provide(new Observer())
      const log = recordDiscovery(client)

      const joined = log.next('p1 discovered', (e) => e.node_id === 'disc-p1' && e.type === 'discovered')
      const provider = await startProvider({ relayUrl: relay.url, nodeId: 'disc-p1' })
      expect((await joined).services).toEqual(['Matrix'])

      const matrix = client.link<Matrix>('Matrix')
      for (let i = 0; i < 20; i++) await matrix.whoami()
      await Promise.all(Array.from({ length: 20 }, () => matrix.syncValue(1)))

      const changed = log.next('p1 changed', (e) => e.node_id === 'disc-p1' && e.type === 'changed')
      provider.write('SERVE Other')
      expect([...(await changed).services].sort()).toEqual(['Matrix', 'Other'])
      for (let i = 0; i < 5; i++) await matrix.whoami()

      const changedBack = log.next('p1 changed back', (e) => e.node_id === 'disc-p1' && e.type === 'changed')
      provider.write('UNSERVE Other')
      expect((await changedBack).services).toEqual(['Matrix'])

      const left = log.next('p1 offline', (e) => e.node_id === 'disc-p1' && e.type === 'offline')
      provider.kill('SIGKILL')
      await left

      expect(log.about('disc-p1')).toEqual([
        'discovered Matrix',
        'changed Matrix,Other',
        'changed Matrix',
        'offline',
      ])
      expect(log.violations).toEqual([])
      expect(log.events.filter((e) => e.node_id === client.mesh.nodeId)).toEqual([])
    })

    test('status$ goes connecting → connected, reports the lost relay, and reconnects after a restart on the same port', async () => {
      const relay = await startRelay({ adapter })
      const client = await startClient(relay.url, { noWait: true })
      const seen: string[] = []
      client.transporter.status$.subscribe((status) => {
        const value = status.get(relay.url) ?? 'absent'
        if (seen.at(-1) !== value) seen.push(value)
      })
      await client.connected(relay.url)
      expect(seen.filter((s) => s !== 'absent').slice(0, 2)).toEqual(['connecting', 'connected'])

      relay.proc.kill('SIGKILL')
      await firstMatching(client.transporter.status$, 'a lost-relay status', 3000, (status) =>
        ['error', 'not_connected', 'connecting'].includes(status.get(relay.url) ?? ''),
      )
      const lostAt = seen.length
      const restarted = await startRelay({ adapter, port: relay.port, name: `relay-${adapter}-restarted` })
      expect(restarted.url).toBe(relay.url)
      await client.connected(relay.url, 10_000)

      const afterKill = seen.slice(lostAt - 1)
      expect(afterKill.some((s) => s === 'error' || s === 'not_connected')).toBe(true)
      expect(afterKill.slice(-2)).toEqual(['connecting', 'connected'])

      await client.transporter.close(relay.url)
      expect(client.transporter.status$.value.get(relay.url) ?? 'not_connected').toBe('not_connected')
    })

    test('a relay restart re-syncs discovery without duplicate events', async () => {
      const relay = await startRelay({ adapter })
      const client = await startClient(relay.url)
      const log = recordDiscovery(client)
      const matrix = client.link<Matrix>('Matrix')
      await startProvider({ relayUrl: relay.url, nodeId: 'resync-p1' })
      await matrix.wait({ timeout: 5000 })

      relay.proc.kill('SIGKILL')
      await startRelay({ adapter, port: relay.port, name: `relay-${adapter}-restarted` })
      await client.connected(relay.url, 10_000)
      // The provider reconnects on its own; the view converges to it, with no ghost nodes.
      await until(
        'the provider to be reachable again',
        async () => {
          try {
            return (await client.link<Matrix>('Matrix', { timeout: 1000 }).whoami()) === 'resync-p1'
          } catch {
            return false
          }
        },
        10_000,
      )
      await firstMatching(matrix.watch(), 'resync-p1 in discovery', 3000, (nodes) =>
        nodes.some((n) => n.node_id === 'resync-p1'),
      )
      expect(matrix.nodes.map((n) => n.node_id)).toEqual(['resync-p1'])
      expect(log.violations).toEqual([])
      // Either the node was kept through the re-sync (one event) or it really left and came back.
      expect([['discovered Matrix'], ['discovered Matrix', 'offline', 'discovered Matrix']]).toContainEqual(
        log.about('resync-p1'),
      )
    })
  })
}

describe('discovery through two relays', () => {
  test('a node reachable through two relays is discovered once (one directory) and stays while one relay remains', async () => {
    const [r1, r2] = await Promise.all([startRelay({ name: 'relay-1' }), startRelay({ name: 'relay-2' })])
    const client = await startClient([r1.url, r2.url])
    const log = recordDiscovery(client)
    const matrix = client.link<Matrix>('Matrix')
    const discovered = log.next('twice-p1 discovered', (e) => e.node_id === 'twice-p1')
    await startProvider({ relayUrl: [r1.url, r2.url], nodeId: 'twice-p1' })
    await discovered
    // Both relays have told the client by the time both list the provider and the client.
    await until('both relays to list the provider', async () =>
      (await Promise.all([r1.stats(), r2.stats()])).every((s) => s.nodes === 2),
    )
    expect(await matrix.whoami()).toBe('twice-p1')

    r2.proc.kill('SIGKILL')
    await firstMatching(
      client.transporter.status$,
      'relay 2 lost',
      3000,
      (s) => s.get(r2.url) !== 'connected',
    )
    expect(await matrix.whoami()).toBe('twice-p1')
    expect(matrix.nodes.map((n) => n.node_id)).toEqual(['twice-p1'])
    expect(log.about('twice-p1')).toEqual(['discovered Matrix'])
    expect(log.violations).toEqual([])
  })
})
