import { describe, expect, test } from 'bun:test'
import {
  type BenchRow,
  describeRatios,
  describeRelayCpu,
  limitFor,
  medianRows,
  unaryRatios,
  withRatios,
} from './results.js'

const unary = (system: string, inflight: number, rps: number, p99: number): BenchRow => ({
  scenario: 'unary',
  system,
  inflight,
  rps,
  p50_us: p99 / 2,
  p99_us: p99,
})

describe('unaryRatios', () => {
  const rows = [
    unary('limit-bun', 1, 20_000, 100),
    unary('limit-bun', 64, 100_000, 2000),
    unary('spider-mesh-bun', 1, 10_000, 160),
    unary('spider-mesh-bun', 64, 85_000, 2500),
    unary('spider-mesh-node', 64, 50_000, 4000),
    unary('limit-node', 64, 60_000, 5000),
    unary('socketio', 64, 40_000, 8000),
  ]

  test('divides each system by the limit on its own socket library at the same calls in flight', () => {
    expect(unaryRatios(rows)).toEqual([
      { system: 'spider-mesh-bun', limit: 'limit-bun', inflight: 1, rps: 0.5, p50: 1.6, p99: 1.6 },
      { system: 'spider-mesh-bun', limit: 'limit-bun', inflight: 64, rps: 0.85, p50: 1.25, p99: 1.25 },
      { system: 'spider-mesh-node', limit: 'limit-node', inflight: 64, rps: 0.83, p50: 0.8, p99: 0.8 },
      { system: 'socketio', limit: 'limit-bun', inflight: 64, rps: 0.4, p50: 4, p99: 4 },
    ])
  })

  test('says whether the targets are met', () => {
    const lines = describeRatios(unaryRatios(rows))
    expect(lines).toContain('spider-mesh-bun / limit-bun p99 @1: 1.6× (target ≤ 1.5×: NOT met)')
    expect(lines).toContain('spider-mesh-bun / limit-bun req/s @64: 0.85× (target ≥ 0.8×: met)')
  })

  test('attaches the ratios to the unary rows for --json', () => {
    const row = withRatios(rows).find((r) => r.system === 'spider-mesh-bun' && r.inflight === 64)
    expect(row).toMatchObject({ limit: 'limit-bun', rps_vs_limit: 0.85, p99_vs_limit: 1.25 })
  })
})

describe('medianRows', () => {
  test('keeps one row per scenario, system and inflight with the median of each figure', () => {
    const runs = [
      [unary('limit-bun', 1, 10, 300)],
      [unary('limit-bun', 1, 30, 100)],
      [unary('limit-bun', 1, 20, 200)],
    ]
    expect(medianRows(runs)).toEqual([{ ...unary('limit-bun', 1, 20, 200), runs: 3 }])
  })

  test('takes the median over the runs that did not fail, and counts the failed ones', () => {
    const failed: BenchRow = { ...unary('limit-bun', 1, Number.NaN, 0), error: 'boom' }
    const runs = [[unary('limit-bun', 1, 10, 300)], [failed], [unary('limit-bun', 1, 30, 100)]]
    expect(medianRows(runs)).toEqual([{ ...unary('limit-bun', 1, 20, 200), runs: 2, failed_runs: 1 }])
  })
})

describe('limitFor', () => {
  test('pairs each Spider Mesh flavor with the limit of the same runtime and socket library', () => {
    expect(limitFor('spider-mesh-bun')).toBe('limit-bun')
    expect(limitFor('spider-mesh-node')).toBe('limit-node')
    expect(limitFor('spider-mesh-nodejs')).toBe('limit-nodejs')
  })

  test('compares the peers with the Bun limit and a limit with nothing', () => {
    expect(limitFor('socketio')).toBe('limit-bun')
    expect(limitFor('limit-nodejs')).toBeNull()
  })
})

describe('describeRelayCpu', () => {
  test('puts each relay’s CPU per call beside its limit’s and checks the Bun relay’s target at 64', () => {
    const rows = [
      { ...unary('limit-bun', 64, 100_000, 1000), cpu_relay_us: 10 },
      { ...unary('spider-mesh-bun', 64, 120_000, 1500), cpu_relay_us: 3.5 },
      { ...unary('spider-mesh-nodejs', 1, 4000, 900), cpu_relay_us: 88 },
      unary('socketio', 64, 50_000, 3000),
    ]
    expect(describeRelayCpu(rows)).toEqual([
      'limit-bun @64: relay 10 µs per call',
      'spider-mesh-bun @64: relay 3.5 µs per call (limit-bun: 10 µs, 0.35×) — target ≤ 6 µs: met',
      'spider-mesh-nodejs @1: relay 88 µs per call',
    ])
  })
})
