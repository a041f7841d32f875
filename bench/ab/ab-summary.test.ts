import { describe, expect, test } from 'bun:test'
import { turnOrder } from '../scenarios/unary.js'
import { percentile } from '../stats.js'
import { combinedRatios, type Side, summarize } from './ab-summary.js'

describe('interleaved A/B', () => {
  test('turns alternate A B, B A, so each side goes first in half of the rounds', () => {
    // interleave.ts takes the unary scenario's order for two callers: 0 is A, 1 is B.
    expect(turnOrder(2, 3)).toEqual([0, 1, 1, 0, 0, 1])
    const order = turnOrder(2, 20)
    expect(order.filter((s) => s === 0).length).toBe(20)
    const firsts = order.filter((_, i) => i % 2 === 0)
    expect(firsts.filter((s) => s === 0).length).toBe(10)
  })

  test('the summary gives each side its percentiles, CPU per call and the B/A ratio', () => {
    const side = (scale: number): Side => ({
      latencies: Array.from({ length: 100 }, (_, i) => (i + 1) * scale),
      cpu: { caller: 4 * scale, relay: 8 * scale, provider: 2 * scale },
    })
    const table = summarize(side(1), side(2), percentile)
    expect(table).toContain('p50 µs                      50.0     100.0   2.000×')
    expect(table).toContain('p99 µs                      99.0     198.0   2.000×')
    expect(table).toContain('relay CPU µs/call            8.0      16.0   2.000×')
  })

  test('sessions in both start orders combine as the geometric mean of their B/A ratios', () => {
    const side = (scale: number): Side => ({
      latencies: Array.from({ length: 100 }, (_, i) => (i + 1) * scale),
      cpu: { caller: scale, relay: scale, provider: scale },
    })
    // B 4% slower when A starts first, 4% faster when B does: no change, combined.
    const table = combinedRatios(
      [
        { a: side(1), b: side(1.04) },
        { a: side(1), b: side(1 / 1.04) },
      ],
      percentile,
    )
    expect(table).toContain('p50 µs                    1.040×   0.962×    1.000×')
    expect(table).toContain('relay CPU µs/call         1.040×   0.962×    1.000×')
    const one = combinedRatios([{ a: side(1), b: side(0.9) }], percentile)
    expect(one).toContain('mean µs                   0.900×    0.900×')
  })
})
