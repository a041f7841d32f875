import { describe, expect, test } from 'bun:test'
import type { Breakdown } from '../scenarios/breakdown.js'
import { formatBreakdown, hopArea, medianBreakdown } from './report.js'

const costs = (bytes: number) => ({
  bytes_per_call: bytes,
  gcs_per_1000_calls: 0,
  messages_in_per_call: 1,
  timers_per_call: 0,
  microtasks_per_call: 1,
  ticks_per_call: 0,
})

const breakdown = (p50: number, bytes: number, objects: Record<string, number>): Breakdown => ({
  system: 'spider-mesh-bun',
  hops: [
    { hop: 'wire: caller → relay', p50_us: p50, p99_us: 2 * p50, tail_mean_us: 3 * p50 },
    { hop: 'total (end to end)', p50_us: p50, p99_us: 2 * p50, tail_mean_us: 3 * p50 },
  ],
  calls: 100,
  skipped: 0,
  loop: { inflight: 1, elapsed_ms: 1000, rps: 100, count: 100, p50_us: p50, p99_us: 2 * p50, max_us: 9 },
  costs: { caller: costs(bytes), relay: costs(bytes), provider: costs(bytes) },
  gc: [],
  objects: { caller: objects, relay: {}, provider: {} },
})

describe('medianBreakdown', () => {
  test('takes the median of every figure over the runs, a census type missing from a run as 0', () => {
    const merged = medianBreakdown([
      breakdown(10, 100, { Promise: 2, Array: 4 }),
      breakdown(30, 300, { Promise: 2 }),
      breakdown(20, 200, { Promise: 4, Array: 4 }),
    ])
    expect(merged.hops[0]).toEqual({ hop: 'wire: caller → relay', p50_us: 20, p99_us: 40, tail_mean_us: 60 })
    expect(merged.costs.relay.bytes_per_call).toBe(200)
    expect(merged.objects!.caller).toEqual({ Promise: 2, Array: 4 })
    expect(merged.system).toBe('spider-mesh-bun')
  })
})

describe('formatBreakdown', () => {
  test('prints a Markdown table per system, the areas, the costs and the census', () => {
    const text = formatBreakdown([breakdown(10, 100, { Promise: 2 })])
    expect(text).toContain('| wire: caller → relay | 10 | 20 | 30 |')
    expect(text).toContain('| spider-mesh-bun relay | 100 | 0 | 1 | 0 | 1 | 0 |')
    expect(text).toContain('| spider-mesh-bun caller (2) | Promise 2 |')
  })

  test('files each hop under the process whose JavaScript it is, or the wire', () => {
    expect(hopArea('relay: request in → out')).toBe('relay')
    expect(hopArea('wire: relay → caller')).toBe('wire')
    expect(hopArea('total (end to end)')).toBe('total')
  })
})
