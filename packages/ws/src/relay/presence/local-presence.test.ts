import { describe, expect, test } from 'bun:test'
import type { PresenceMember } from '@spider-mesh/core'
import type { RelayPeer } from '../relay-peer.js'
import { jsonSafe, LocalPresence } from './local-presence.js'

/** Just what LocalPresence reads of a connection. */
const peer = (nodeId: string, principal?: unknown): RelayPeer =>
  ({ nodeId, meta: { role: nodeId }, principal, closed: false }) as unknown as RelayPeer

function table() {
  const changes: [string, string, PresenceMember | null][] = []
  const local = new LocalPresence(
    (topic, nodeId, member) => changes.push([topic, nodeId, member]),
    () => 'r1',
  )
  return { local, changes }
}

describe('LocalPresence', () => {
  test('a member listens or holds state; it goes when it does neither', () => {
    const { local, changes } = table()
    const p = peer('n1')
    local.joined(p, 't')
    expect(local.set(p, 't', 'busy', undefined)).toBeUndefined()
    local.left(p, 't')
    expect(local.members('t')).toEqual([{ nodeId: 'n1', meta: { role: 'n1' }, relay: 'r1', state: 'busy' }])
    local.set(p, 't', null, undefined)
    expect(local.members('t')).toEqual([])
    expect(changes.at(-1)).toEqual(['t', 'n1', null])
  })

  test("a state's TTL takes the state away, and the member when it does not listen", async () => {
    const { local, changes } = table()
    const p = peer('n1')
    local.set(p, 'a', 1, 20)
    local.joined(p, 'b')
    local.set(p, 'b', 2, 20)
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(local.members('a')).toEqual([])
    expect(local.members('b')).toEqual([{ nodeId: 'n1', meta: { role: 'n1' }, relay: 'r1' }])
    expect(changes.filter(([, , m]) => m === null).map(([t]) => t)).toEqual(['a'])
  })

  test("a newer connection of a node id takes over; the old one's leave and close change nothing", () => {
    const { local } = table()
    const old = peer('n1')
    const fresh = peer('n1')
    local.joined(old, 't')
    local.set(old, 't', 'old state', undefined)
    local.joined(fresh, 't')
    local.left(old, 't')
    local.closed(old)
    expect(local.members('t')).toEqual([{ nodeId: 'n1', meta: { role: 'n1' }, relay: 'r1' }])
    local.closed(fresh)
    expect(local.members('t')).toEqual([])
  })

  test('a closing connection leaves every topic at once', () => {
    const { local } = table()
    const p = peer('n1', { id: 'alice' })
    for (const topic of ['x', 'y', 'z']) local.joined(p, topic)
    local.set(p, 'w', true, 60_000)
    expect(local.members('x')[0]!.principal).toEqual({ id: 'alice' })
    local.closed(p)
    expect(['w', 'x', 'y', 'z'].map((t) => local.members(t))).toEqual([[], [], [], []])
  })

  test('principals are shown as JSON data or their String()', () => {
    class User {
      toString() {
        return 'user:7'
      }
    }
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(jsonSafe('alice')).toBe('alice')
    expect(jsonSafe({ id: 1, roles: ['a'] })).toEqual({ id: 1, roles: ['a'] })
    expect(jsonSafe(new User())).toBe('user:7')
    expect(jsonSafe(cycle)).toBe('[object Object]')
    expect(jsonSafe(Number.NaN)).toBe('NaN')
    expect(jsonSafe(undefined)).toBeUndefined()
    expect(jsonSafe(null)).toBeUndefined()
  })
})
