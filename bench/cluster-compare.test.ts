import { describe, expect, test } from 'bun:test'
import {
  clusterComparisons,
  describeClusterTargets,
  formatAddedMs,
  formatClusterReport,
  formatCpuTable,
  withClusterRatios,
} from './cluster-compare.js'
import type { BenchRow } from './results.js'

const unary = (system: string, inflight: number, rps: number, p50: number): BenchRow => ({
  scenario: 'cluster',
  system,
  inflight,
  rps,
  p50_us: p50,
  p99_us: p50 * 3,
})
const stream = (system: string, itemsPerS: number): BenchRow => ({
  scenario: 'cluster-stream',
  system,
  inflight: 1,
  rps: itemsPerS,
  p50_us: null,
  p99_us: null,
})

const rows = [
  unary('single-relay', 1, 10_000, 80),
  unary('cross-relay', 1, 4_000, 330),
  unary('nats-rtt', 1, 7_000, 110),
  unary('single-relay', 64, 120_000, 400),
  unary('cross-relay', 64, 36_000, 1_400),
  stream('single-relay', 2_000_000),
  stream('cross-relay', 500_000),
]

describe('clusterComparisons', () => {
  test('pairs each cross-relay figure with the single-relay one of the same workload', () => {
    expect(clusterComparisons(rows)).toEqual([
      {
        workload: 'unary @1',
        inflight: 1,
        unit: 'req/s',
        single: 10_000,
        cross: 4_000,
        ratio: 0.4,
        singleP50Us: 80,
        crossP50Us: 330,
        addedP50Ms: 0.25,
      },
      {
        workload: 'unary @64',
        inflight: 64,
        unit: 'req/s',
        single: 120_000,
        cross: 36_000,
        ratio: 0.3,
        singleP50Us: 400,
        crossP50Us: 1_400,
        addedP50Ms: 1,
      },
      {
        workload: 'stream',
        inflight: 1,
        unit: 'items/s',
        single: 2_000_000,
        cross: 500_000,
        ratio: 0.25,
        singleP50Us: null,
        crossP50Us: null,
        addedP50Ms: null,
      },
    ])
  })

  test('leaves out a workload whose single-relay or cross-relay figure failed', () => {
    const failed: BenchRow = { ...unary('single-relay', 64, Number.NaN, 0), error: 'boom' }
    const workloads = clusterComparisons([...rows.filter((r) => r.inflight !== 64), failed]).map(
      (c) => c.workload,
    )
    expect(workloads).toEqual(['unary @1', 'stream'])
  })
})

describe('formatAddedMs', () => {
  test('signs the difference and keeps two decimals', () => {
    expect(formatAddedMs(0.25)).toBe('+0.25 ms')
    expect(formatAddedMs(1)).toBe('+1.00 ms')
    expect(formatAddedMs(-0.031)).toBe('-0.03 ms')
    expect(formatAddedMs(-0.001)).toBe('+0.00 ms')
    expect(formatAddedMs(null)).toBe('-')
  })
})

describe('describeClusterTargets', () => {
  test('checks the added p50 at 1 in flight and the req/s ratio at 64', () => {
    expect(describeClusterTargets(clusterComparisons(rows))).toEqual([
      'cross-relay adds +0.25 ms p50 @1 (target ≤ 0.5 ms: met)',
      "cross-relay keeps 0.3× the single relay's req/s @64 (target ≥ 0.5×: NOT met)",
    ])
  })
})

describe('withClusterRatios', () => {
  test('attaches the ratio and the added p50 to the cross-relay rows only', () => {
    const out = withClusterRatios(rows)
    expect(out.find((r) => r.system === 'cross-relay' && r.inflight === 64)).toMatchObject({
      vs_single_relay: 0.3,
      added_p50_ms: 1,
    })
    expect(out.find((r) => r.scenario === 'cluster-stream' && r.system === 'cross-relay')).toMatchObject({
      vs_single_relay: 0.25,
      added_p50_ms: null,
    })
    expect(out.find((r) => r.system === 'single-relay')).not.toHaveProperty('vs_single_relay')
  })
})

describe('formatCpuTable', () => {
  test('shows the metered processes, their total and 1 s ÷ total next to the measured rate', () => {
    const metered: BenchRow[] = [
      {
        ...unary('single-relay', 64, 110_000, 400),
        cpu_caller_us: 4,
        cpu_relay_us: 2.5,
        cpu_provider_us: 2.5,
        cpu_total_us: 9,
      },
      {
        ...unary('cross-relay', 64, 33_000, 1_400),
        cpu_caller_us: 6,
        cpu_relay_b_us: 7,
        cpu_nats_us: 5,
        cpu_total_us: 18,
      },
    ]
    expect(formatCpuTable(metered).split('\n')).toEqual([
      'workload   system        caller  relay  relay B  nats-server  provider  total  1 s ÷ total  measured',
      '---------  ------------  ------  -----  -------  -----------  --------  -----  -----------  --------',
      'unary @64  single-relay       4    2.5        -            -       2.5      9      111,111   110,000',
      'unary @64  cross-relay        6      -        7            5         -     18       55,556    33,000',
    ])
  })

  test('is empty without metered rows, and so is the report without a pair', () => {
    expect(formatCpuTable(rows)).toBe('')
    expect(formatClusterReport([unary('nats-rtt', 1, 7_000, 110)])).toBe('')
  })
})
