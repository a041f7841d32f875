import { describe, expect, test } from 'bun:test'
import { DURATION_BUCKETS, MAX_NAME_LENGTH, MAX_SERIES, RelayMetrics } from './relay-metrics.js'

describe('RelayMetrics', () => {
  test('counts outcomes and fills the histogram bucket of each duration', () => {
    const metrics = new RelayMetrics()
    const stats = metrics.method('S', 'm')
    stats.inFlight += 2
    stats.end('ok', 0, 0.3) // 0.3 ms -> first bucket (0.5 ms)
    stats.end('error', 0, 20_000) // 20 s -> +Inf
    expect(stats.outcomes).toEqual({
      ok: 1,
      error: 1,
      offline: 0,
      cancelled: 0,
      overloaded: 0,
      expired: 0,
      denied: 0,
    })
    expect(stats.inFlight).toBe(0)
    expect(stats.buckets[0]).toBe(1)
    expect(stats.buckets[DURATION_BUCKETS.length]).toBe(1)
    expect(stats.percentiles()).toEqual({ p50: 0.3, p99: 0.3 })
  })
  test('caller-chosen names cannot grow memory: past MAX_SERIES they are counted as (other)', () => {
    const metrics = new RelayMetrics()
    for (let i = 0; i < MAX_SERIES + 50; i++) metrics.method('S', `m${i}`).inFlight++
    const other = metrics.method('S', 'one-more')
    expect(other.service).toBe('(other)')
    expect(metrics.methods().length).toBe(MAX_SERIES + 1)
    expect(metrics.method('S', 'm1').method).toBe('m1')
  })
  test('names longer than MAX_NAME_LENGTH are counted as (other), never kept', () => {
    const metrics = new RelayMetrics()
    expect(metrics.method('S'.repeat(MAX_NAME_LENGTH + 1), 'm').service).toBe('(other)')
    expect(metrics.methods().length).toBe(0)
  })
})
