import { describe, expect, test } from 'bun:test'
import { HashRing } from './hash-ring.js'

const keys = Array.from({ length: 10_000 }, (_, i) => `user-${i}`)
const owners = (ring: HashRing<string>) => new Map(keys.map((key) => [key, ring.pick(key)!]))
const ring = (members: string[]) => new HashRing(members, (m) => m)

describe('consistent hashing', () => {
  test('keys spread over every member, none takes more than twice its share', () => {
    const members = ['a', 'b', 'c', 'd']
    const counts = new Map<string, number>()
    for (const owner of owners(ring(members)).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1)
    for (const member of members) {
      expect(counts.get(member)).toBeGreaterThan(keys.length / 4 / 2)
      expect(counts.get(member)).toBeLessThan((keys.length / 4) * 2)
    }
  })

  test('a member joining takes about 1/(N+1) of the keys, all from the others, and moves nothing else', () => {
    const before = owners(ring(['a', 'b', 'c', 'd']))
    const after = owners(ring(['a', 'b', 'c', 'd', 'e']))
    const moved = keys.filter((key) => before.get(key) !== after.get(key))
    const share = moved.length / keys.length
    expect(share).toBeGreaterThan(0.2 / 2)
    expect(share).toBeLessThan(0.2 * 1.6)
    // Every key that moved went to the newcomer: nobody else's keys were shuffled.
    expect(moved.every((key) => after.get(key) === 'e')).toBe(true)
  })

  test('a member leaving moves only its own keys', () => {
    const before = owners(ring(['a', 'b', 'c', 'd']))
    const after = owners(ring(['a', 'b', 'd']))
    for (const key of keys) if (before.get(key) !== 'c') expect(after.get(key)).toBe(before.get(key)!)
  })

  test('pick skips members that cannot take the key, and is undefined when none can', () => {
    const r = ring(['a', 'b'])
    for (const key of keys.slice(0, 100)) expect(r.pick(key, (m) => m === 'b')).toBe('b')
    expect(r.pick('x', () => false)).toBeUndefined()
    expect(ring([]).pick('x')).toBeUndefined()
  })
})
