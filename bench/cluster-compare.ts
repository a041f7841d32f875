/**
 * The cluster scenario's comparison: each figure across relays (caller on relay B, provider on
 * relay A, NATS between them) next to the same figure through one relay in the same run, as a
 * ratio cross/single and, for unary calls, the p50 a call gains by crossing.
 */
import type { BenchRow } from './results.js'
import { formatNumber, formatTable } from './table.js'

/** The systems the cluster scenario measures (row `system`). */
export const SINGLE_RELAY = 'single-relay'
export const CROSS_RELAY = 'cross-relay'
/** Raw NATS request/reply between two processes: the floor of the extra hop. */
export const NATS_RTT = 'nats-rtt'

/**
 * The targets: a cross-relay call adds at most 0.5 ms p50 (at 1 in flight, where p50 is
 * a call's latency and not queueing), and keeps at least half the single relay's req/s at 64.
 */
export const CLUSTER_TARGETS = { addedP50MsAt1: 0.5, rpsRatioAt64: 0.5 }

/** One workload measured both ways. */
export interface ClusterComparison {
  workload: string
  /** Calls in flight (1 for the stream). */
  inflight: number
  unit: 'req/s' | 'items/s'
  single: number
  cross: number
  /** cross / single, two decimals. */
  ratio: number
  singleP50Us: number | null
  crossP50Us: number | null
  /** cross p50 − single p50 in ms (three decimals); null for the stream. */
  addedP50Ms: number | null
}

/** Pairs each cross-relay row with the single-relay row of the same workload, when both were measured. */
export function clusterComparisons(rows: BenchRow[]): ClusterComparison[] {
  const measured = (r: BenchRow) => r.error === undefined && Number.isFinite(r.rps)
  const comparisons: ClusterComparison[] = []
  for (const cross of rows) {
    if (cross.system !== CROSS_RELAY || !measured(cross)) continue
    if (cross.scenario !== 'cluster' && cross.scenario !== 'cluster-stream') continue
    const single = rows.find(
      (r) =>
        r.scenario === cross.scenario &&
        r.system === SINGLE_RELAY &&
        r.inflight === cross.inflight &&
        measured(r),
    )
    if (!single) continue
    const stream = cross.scenario === 'cluster-stream'
    const inflight = cross.inflight ?? 1
    comparisons.push({
      workload: stream ? 'stream' : `unary @${inflight}`,
      inflight,
      unit: stream ? 'items/s' : 'req/s',
      single: single.rps,
      cross: cross.rps,
      ratio: round(cross.rps / single.rps, 2),
      singleP50Us: single.p50_us,
      crossP50Us: cross.p50_us,
      addedP50Ms:
        stream || single.p50_us === null || cross.p50_us === null
          ? null
          : round((cross.p50_us - single.p50_us) / 1000, 3),
    })
  }
  return comparisons
}

/** `+0.12 ms`, `-0.03 ms`; `-` when there is no figure. */
export function formatAddedMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-'
  const fixed = Math.abs(ms).toFixed(2)
  return `${ms < 0 && fixed !== '0.00' ? '-' : '+'}${fixed} ms`
}

/** Lines saying whether each target is met, for the workloads that have one. */
export function describeClusterTargets(comparisons: ClusterComparison[]): string[] {
  const lines: string[] = []
  for (const c of comparisons) {
    if (c.unit === 'req/s' && c.inflight === 1 && c.addedP50Ms !== null) {
      const met = c.addedP50Ms <= CLUSTER_TARGETS.addedP50MsAt1 ? 'met' : 'NOT met'
      lines.push(
        `cross-relay adds ${formatAddedMs(c.addedP50Ms)} p50 @1 (target ≤ ${CLUSTER_TARGETS.addedP50MsAt1} ms: ${met})`,
      )
    }
    if (c.unit === 'req/s' && c.inflight === 64) {
      const met = c.ratio >= CLUSTER_TARGETS.rpsRatioAt64 ? 'met' : 'NOT met'
      lines.push(
        `cross-relay keeps ${c.ratio}× the single relay's req/s @64 (target ≥ ${CLUSTER_TARGETS.rpsRatioAt64}×: ${met})`,
      )
    }
  }
  return lines
}

/** The processes whose CPU the scenario meters (row field `cpu_<key>_us`), in path order, and their headers. */
const CPU_COLUMNS: [string, string][] = [
  ['caller', 'caller'],
  ['relay', 'relay'],
  ['relay_b', 'relay B'],
  ['nats', 'nats-server'],
  ['relay_a', 'relay A'],
  ['provider', 'provider'],
  ['responder', 'responder'],
]

/**
 * CPU µs per call (per item for the stream) of each process on the path, their total, and
 * 1 s ÷ total next to the measured rate. Why that ceiling and not cores × it: every process
 * coalesces what arrives in one tick, so the calls in flight travel the path together and the
 * processes mostly take turns (measured: the 2-core machine was ~45% idle at 64 in flight,
 * through one relay and across relays alike). The measured unary rate then sits near
 * 1 s ÷ total: every µs any process on the path spends per call costs throughput. A stream's
 * items flow without waiting for each other, so the processes overlap and its rate beats
 * 1 s ÷ total. '' without data.
 */
export function formatCpuTable(rows: BenchRow[]): string {
  const metered = rows.filter(
    (r) =>
      (r.scenario === 'cluster' || r.scenario === 'cluster-stream') &&
      typeof r.cpu_total_us === 'number' &&
      Number.isFinite(r.cpu_total_us),
  )
  if (metered.length === 0) return ''
  const columns = CPU_COLUMNS.filter(([key]) => metered.some((r) => typeof r[`cpu_${key}_us`] === 'number'))
  const cell = (v: unknown) => formatNumber(typeof v === 'number' ? v : null)
  return formatTable(
    ['workload', 'system', ...columns.map(([, header]) => header), 'total', '1 s ÷ total', 'measured'],
    metered.map((r) => {
      const total = r.cpu_total_us as number
      return [
        r.scenario === 'cluster-stream' ? 'stream' : `unary @${r.inflight}`,
        r.system,
        ...columns.map(([key]) => cell(r[`cpu_${key}_us`])),
        cell(total),
        total > 0 ? formatNumber(Math.round(1_000_000 / total)) : '-',
        formatNumber(r.rps),
      ]
    }),
  )
}

/**
 * The side-by-side table, the raw NATS round trip under it, the target lines and the CPU per
 * call of every process on each path; '' without a pair.
 */
export function formatClusterReport(rows: BenchRow[]): string {
  const comparisons = clusterComparisons(rows)
  if (comparisons.length === 0) return ''
  const table = formatTable(
    [
      'workload',
      'unit',
      'single-relay',
      'cross-relay',
      'cross/single',
      'p50 µs single',
      'p50 µs cross',
      'added p50',
    ],
    comparisons.map((c) => [
      c.workload,
      c.unit,
      formatNumber(c.single),
      formatNumber(c.cross),
      `${c.ratio}×`,
      formatNumber(c.singleP50Us),
      formatNumber(c.crossP50Us),
      formatAddedMs(c.addedP50Ms),
    ]),
  )
  const nats = rows
    .filter((r) => r.scenario === 'cluster' && r.system === NATS_RTT && r.error === undefined)
    .map((r) => `${formatNumber(r.rps)} round trips/s, p50 ${formatNumber(r.p50_us)} µs @${r.inflight}`)
  const lines = [table]
  if (nats.length > 0) lines.push(`NATS request/reply alone (2 processes, 1 nats-server): ${nats.join('; ')}`)
  lines.push(...describeClusterTargets(comparisons))
  const cpu = formatCpuTable(rows)
  if (cpu) lines.push('', 'CPU µs per call (per item for the stream), measured window only:', cpu)
  return lines.join('\n')
}

/** Adds `vs_single_relay` (cross/single) and `added_p50_ms` to the cross-relay rows, for `--json`. */
export function withClusterRatios(rows: BenchRow[]): BenchRow[] {
  const comparisons = clusterComparisons(rows)
  return rows.map((row) => {
    if (row.system !== CROSS_RELAY) return row
    const stream = row.scenario === 'cluster-stream'
    const c = comparisons.find((x) => (x.unit === 'items/s') === stream && x.inflight === row.inflight)
    return c ? { ...row, vs_single_relay: c.ratio, added_p50_ms: c.addedP50Ms } : row
  })
}

function round(n: number, decimals: number): number {
  const f = 10 ** decimals
  return Math.round(n * f) / f
}
