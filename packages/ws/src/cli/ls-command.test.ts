import { describe, expect, test } from 'bun:test'
import { clusterHeader, differingServices, directoryTable, type ListedNode } from './ls-command.js'

const node = (id: string, extra: Partial<ListedNode> = {}): ListedNode => ({
  node_id: id,
  role: 'server',
  routable: true,
  services: ['Matrix'],
  topics: [],
  meta: { version: '0.1.0', runtime: 'bun' },
  rtt_ms: 1.25,
  connected_at: '2025-01-01T00:00:00.000Z',
  calls_in_flight: 0,
  ...extra,
})

describe('spider-mesh ls', () => {
  test('a relay in a cluster: a RELAY column after NODE; nodes on other relays show no RTT', () => {
    const [header, rows] = directoryTable(
      [node('p1', { relay: 'B' }), node('p2', { relay: 'A', rtt_ms: null, connected_at: null })],
      true,
    )
    expect(header).toEqual(['NODE', 'RELAY', 'ROLE', 'SERVICES', 'VERSION', 'RUNTIME', 'RTT'])
    expect(rows).toEqual([
      ['p1', 'B', 'server', 'Matrix', '0.1.0', 'bun', '1.3 ms'],
      ['p2', 'A', 'server', 'Matrix', '0.1.0', 'bun', '–'],
    ])
  })

  test('a relay on its own keeps the table it had; an entry without relay (older relay) shows –', () => {
    expect(directoryTable([node('p1', { relay: 'local' })], false)[0]).toEqual([
      'NODE',
      'ROLE',
      'SERVICES',
      'VERSION',
      'RUNTIME',
      'RTT',
    ])
    expect(directoryTable([node('p1')], false)[0]).not.toContain('RELAY')
    expect(directoryTable([node('p1')], true)[1][0]![1]).toBe('–')
    // Entries naming another relay get the column even when /health said nothing about a cluster.
    expect(directoryTable([node('p1', { relay: 'A' })], false)[0][1]).toBe('RELAY')
  })

  test('the cluster header: connected, or degraded while NATS is unreachable', () => {
    expect(clusterHeader({ state: 'connected', relays: 3 })).toBe('cluster: connected, 3 relays')
    expect(clusterHeader({ state: 'down', relays: 1 })).toBe('cluster: degraded (NATS down), 1 relay')
    expect(clusterHeader({ state: 'connecting', relays: 2 })).toBe(
      'cluster: degraded (NATS connecting), 2 relays',
    )
  })

  test('services show name@version; a ! line names what each differing provider lacks', () => {
    const old = node('p1', {
      services: ['Orders'],
      catalog: { Orders: { methods: ['list'], version: '1.4.0' } },
    })
    const fresh = node('p2', {
      services: ['Orders', 'Matrix'],
      catalog: { Orders: { methods: ['list', 'place'], version: '2.0.0' } },
    })
    const legacy = node('p3', { services: ['Orders'] })
    expect(directoryTable([old, fresh], false)[1].map((row) => row[2])).toEqual([
      'Orders@1.4.0',
      'Orders@2.0.0,Matrix',
    ])
    const summary = { versions: ['1.4.0', '2.0.0'], methods: ['list', 'place'], differs: true }
    expect(
      differingServices([old, fresh, legacy], { Orders: summary, Matrix: { ...summary, differs: false } }),
    ).toEqual([
      '! providers of Orders differ: p1 (v1.4.0, lacks place); p2 (v2.0.0); p3 (no catalog: an older node) — calls go only to providers that have the method',
    ])
  })
})
