import { describe, expect, test } from 'bun:test'
import { RelayDirectory } from './relay-directory.js'

describe('RelayDirectory', () => {
  function directory() {
    const events: string[] = []
    const dir = new RelayDirectory((type, nodeId, services) =>
      events.push(`${type}:${nodeId}:${services.join('+')}`),
    )
    return { dir, events }
  }

  test('a re-sync emits only what changed since the last view', () => {
    const { dir, events } = directory()
    dir.resync([
      ['a', ['S']],
      ['b', ['T']],
    ])
    dir.resync([
      ['a', ['S']],
      ['b', ['T', 'U']],
      ['c', ['S']],
    ])
    dir.resync([
      ['b', ['T', 'U']],
      ['c', ['S']],
    ])
    expect(events).toEqual([
      'discovered:a:S',
      'discovered:b:T',
      'changed:b:T+U',
      'discovered:c:S',
      'offline:a:S',
    ])
  })

  test('upsert and remove report whether anything changed; providers follow', () => {
    const { dir, events } = directory()
    expect(dir.upsert('a', ['S'])).toBe(true)
    expect(dir.upsert('a', ['S'])).toBe(false)
    expect(dir.providers('S', 1.5)).toEqual([{ node_id: 'a', services: ['S'], rtt_ms: 1.5 }])
    expect(dir.remove('a')).toBe(true)
    expect(dir.remove('a')).toBe(false)
    expect(dir.providers('S', undefined)).toEqual([])
    expect(events).toEqual(['discovered:a:S', 'offline:a:S'])
  })
})
