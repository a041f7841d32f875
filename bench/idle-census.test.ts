import { afterAll, expect, test } from 'bun:test'
import { perUnit } from './breakdown/census.js'
import { killAll } from './child.js'
import { idleCensus } from './idle-census.js'

afterAll(killAll)

test('perUnit divides by the connections, drops types under the floor, most first', () => {
  expect(perUnit({ Object: 600, Set: 300, Structure: 4, Map: 100 }, 100)).toEqual([
    ['Object', 6],
    ['Set', 3],
    ['Map', 1],
  ])
})

test.each(['bun', 'node'] as const)(
  'the %s adapter relay keeps a peer per idle connection: its node id string and collections',
  async (adapter) => {
    // A real relay and 200 real sockets on 127.0.0.1, each saying Hello as a client node.
    const rows = new Map(await idleCensus(adapter, 200))
    // Each connection's RelayPeer has its outgoing calls Map and its incoming, topics and told Sets.
    expect(rows.get('Map')).toBeGreaterThanOrEqual(1)
    expect(rows.get('Set')).toBeGreaterThanOrEqual(3)
    expect(rows.get('string')).toBeGreaterThanOrEqual(1)
    const total = [...rows.values()].reduce((a, b) => a + b, 0)
    expect(total).toBeGreaterThan(5)
    expect(total).toBeLessThan(adapter === 'bun' ? 40 : 100)
  },
  60_000,
)
