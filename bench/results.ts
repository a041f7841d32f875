/** The rows the bench reports, and the ratios to the limit computed from them. */
import type { LoopResult } from './closed-loop.js'
import { median } from './stats.js'

/** One measured figure: a line of the table and of `--json` output. */
export interface BenchRow {
  /**
   * `cluster` holds the cluster scenario's unary rows, `cluster-stream` its stream rows; the
   * `socketio-adapter` scenario gives `socketio-broadcast` and `socketio-ssea` rows.
   */
  scenario:
    | 'unary'
    | 'stream'
    | 'stream-stopped'
    | 'pubsub'
    | 'idle'
    | 'cluster'
    | 'cluster-stream'
    | 'socketio-adapter'
    | 'socketio-broadcast'
    | 'socketio-ssea'
    | 'records'
    | 'history'
    | 'presence'
  /**
   * `spider-mesh-bun`, `spider-mesh-node`, `spider-mesh-nodejs`, `limit-bun`, `limit-node`,
   * `limit-nodejs`, `socketio`, `moleculer-tcp`;
   * in the cluster scenario `single-relay`, `cross-relay`, `nats-rtt`; in the history scenario
   * `single-relay` and `cluster` (p50/p99: the time of one whole replay).
   */
  system: string
  /** Calls in flight for unary, 1 for the stream, null where it does not apply. */
  inflight: number | null
  /** Requests/s; for the other scenarios their main figure (items/s, deliveries/s, KB per connection). */
  rps: number
  p50_us: number | null
  p99_us: number | null
  [extra: string]: unknown
}

/** What a stream caller reports (`processes/mesh-caller.ts`, MODE=stream). */
export interface StreamResult {
  streams: number
  items_per_s: number
  median_stream_ms: number
}

/** The table row of a closed-loop (unary) measurement. */
export function loopRow(
  scenario: BenchRow['scenario'],
  system: string,
  inflight: number,
  r: LoopResult,
): BenchRow {
  return {
    scenario,
    system,
    inflight,
    rps: r.rps,
    p50_us: r.p50_us,
    p99_us: r.p99_us,
    max_us: r.max_us,
    calls: r.count,
  }
}

/** The table row of a stream measurement (items/s, one stream in flight). */
export function streamRow(scenario: BenchRow['scenario'], system: string, r: StreamResult): BenchRow {
  return {
    scenario,
    system,
    inflight: 1,
    rps: r.items_per_s,
    p50_us: null,
    p99_us: null,
    items_per_s: r.items_per_s,
    streams: r.streams,
    median_stream_ms: r.median_stream_ms,
  }
}

/** Settings of the bench run (from the command line). */
export interface BenchSettings {
  quick: boolean
  warmupMs: number
  durationMs: number
  idleConnections: number
  /** Progress messages (stderr). */
  log: (message: string) => void
}

/**
 * The limit each system is compared with: the forwarder on the same runtime and socket library
 * (`spider-mesh-nodejs` → `limit-nodejs`); the peers, which run under Bun, → `limit-bun`.
 */
export function limitFor(system: string): string | null {
  if (system.startsWith('limit-')) return null
  const flavor = /^spider-mesh-(bun|node|nodejs)$/.exec(system)?.[1]
  return `limit-${flavor ?? 'bun'}`
}

/** A system's unary figures as a fraction of its limit's at the same calls in flight. */
export interface Ratio {
  system: string
  limit: string
  inflight: number
  rps: number
  p50: number
  p99: number
}

/** Ratios of every non-limit unary row to the limit row with the same inflight, when measured. */
export function unaryRatios(rows: BenchRow[]): Ratio[] {
  const ratios: Ratio[] = []
  for (const row of rows) {
    const limitName = limitFor(row.system)
    if (row.scenario !== 'unary' || !limitName) continue
    const limit = rows.find(
      (r) => r.scenario === 'unary' && r.system === limitName && r.inflight === row.inflight,
    )
    if (!limit) continue
    ratios.push({
      system: row.system,
      limit: limitName,
      inflight: row.inflight!,
      rps: round2(row.rps / limit.rps),
      p50: round2((row.p50_us ?? Number.NaN) / (limit.p50_us ?? Number.NaN)),
      p99: round2((row.p99_us ?? Number.NaN) / (limit.p99_us ?? Number.NaN)),
    })
  }
  return ratios
}

/**
 * DESIGN.md's targets: ≥ 0.8× the limit's req/s at 64 in flight, p99 ≤ 1.5× at 1 in flight;
 * issue 14's: ≤ 6 µs of Bun relay CPU per forwarded call, ≤ 10 KB of relay memory per idle connection.
 */
export const TARGETS = { rpsAt64: 0.8, p99At1: 1.5, kbPerIdleConnection: 10, relayCpuUsPerCall: 6 }

/**
 * Lines giving the relay's CPU µs per forwarded call (request and response) of each unary row
 * beside its limit's, and the target for the Bun relay (where it applies: at 64 in flight; one
 * call at a time, each call pays the relay's wake-ups, which the limit pays too).
 */
export function describeRelayCpu(rows: BenchRow[]): string[] {
  const lines: string[] = []
  for (const row of rows) {
    if (row.scenario !== 'unary' || typeof row.cpu_relay_us !== 'number') continue
    const limitName = limitFor(row.system)
    const limit = rows.find(
      (r) => r.scenario === 'unary' && r.system === limitName && r.inflight === row.inflight,
    )
    const vs =
      limit && typeof limit.cpu_relay_us === 'number' && limit.cpu_relay_us > 0
        ? ` (${limitName}: ${limit.cpu_relay_us} µs, ${round2(row.cpu_relay_us / limit.cpu_relay_us)}×)`
        : ''
    const target =
      row.system === 'spider-mesh-bun' && row.inflight === 64
        ? ` — target ≤ ${TARGETS.relayCpuUsPerCall} µs: ${row.cpu_relay_us <= TARGETS.relayCpuUsPerCall ? 'met' : 'NOT met'}`
        : ''
    lines.push(`${row.system} @${row.inflight}: relay ${row.cpu_relay_us} µs per call${vs}${target}`)
  }
  return lines
}

/** Lines saying how each system compares with its limit and whether the targets are met. */
export function describeRatios(ratios: Ratio[]): string[] {
  const lines: string[] = []
  for (const r of ratios) {
    if (r.inflight === 64) {
      const met = r.rps >= TARGETS.rpsAt64 ? 'met' : 'NOT met'
      lines.push(`${r.system} / ${r.limit} req/s @64: ${r.rps}× (target ≥ ${TARGETS.rpsAt64}×: ${met})`)
    }
    if (r.inflight === 1) {
      const met = r.p99 <= TARGETS.p99At1 ? 'met' : 'NOT met'
      lines.push(`${r.system} / ${r.limit} p99 @1: ${r.p99}× (target ≤ ${TARGETS.p99At1}×: ${met})`)
    }
  }
  return lines
}

/** Adds `rps_vs_limit`, `p50_vs_limit`, `p99_vs_limit` and `limit` to the unary rows that have a limit. */
export function withRatios(rows: BenchRow[]): BenchRow[] {
  const ratios = unaryRatios(rows)
  return rows.map((row) => {
    const r = ratios.find((x) => x.system === row.system && x.inflight === row.inflight)
    if (row.scenario !== 'unary' || !r) return row
    return { ...row, limit: r.limit, rps_vs_limit: r.rps, p50_vs_limit: r.p50, p99_vs_limit: r.p99 }
  })
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}

/**
 * Merges the rows of several runs: one row per (scenario, system, inflight) whose numeric fields
 * are the medians over the runs that produced it (`runs`); `failed_runs` counts the others.
 */
export function medianRows(runs: BenchRow[][]): BenchRow[] {
  const groups = new Map<string, BenchRow[]>()
  for (const row of runs.flat()) {
    const key = `${row.scenario}|${row.system}|${row.inflight}`
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  return [...groups.values()].map((all) => {
    // A run that failed has no figures: the median is over the runs that produced one.
    const group = all.filter((r) => r.error === undefined)
    const failed = all.length - group.length
    if (group.length === 0) return failed > 1 ? { ...all[0]!, failed_runs: failed } : all[0]!
    const merged: BenchRow = { ...group[0]! }
    for (const [field, value] of Object.entries(merged)) {
      if (typeof value !== 'number' || field === 'inflight') continue
      merged[field] = median(group.map((r) => r[field]).filter((v): v is number => typeof v === 'number'))
    }
    if (runs.length > 1) merged.runs = group.length
    if (failed > 0) merged.failed_runs = failed
    return merged
  })
}
