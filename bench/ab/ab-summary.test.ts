import { describe, expect, test } from 'bun:test'
import { percentile } from '../stats.js'
import { abOrder, type Side, summarize } from './ab-summary.js'

describe('interleaved A/B', () => {
  test('turns alternate A B, B A, so each side goes first in half of the rounds', () => {
    expect(abOrder(3)).toEqual(['A', 'B', 'B', 'A', 'A', 'B'])
    const order = abOrder(20)
    expect(order.filter((s) => s === 'A').length).toBe(20)
    const firsts = order.filter((_, i) => i % 2 === 0)
    expect(firsts.filter((s) => s === 'A').length).toBe(10)
  })

  test('the summary gives each side its percentiles, CPU per call and the B/A ratio', () => {
    const side = (scale: number): Side => ({
      latencies: Array.from({ length: 100 }, (_, i) => (i + 1) * scale),
      cpu: { caller: 400 * scale, relay: 800 * scale, provider: 200 * scale },
      calls: 100,
    })
    const table = summarize(side(1), side(2), percentile)
    expect(table).toContain('p50 µs                      50.0     100.0   2.000×')
    expect(table).toContain('p99 µs                      99.0     198.0   2.000×')
    expect(table).toContain('relay CPU µs/call            8.0      16.0   2.000×')
  })
})
