/**
 * The bench's regression guard (`bun bench/run.ts --check`): ratios of figures measured in the
 * same run, checked against bounds stored in bench/thresholds.json. A person's tool, never part
 * of `npm test`: timing on a shared machine is too noisy for a test to assert on.
 */
import { type BenchRow, limitFor } from './results.js'

/** One bound on a ratio: `figure` of `system` over the same figure of its limit. */
export interface RatioThreshold {
  system: string
  /** Calls in flight of both rows. */
  inflight: number
  /** A numeric field of the unary rows: `rps`, `p50_us`, `p99_us`, `cpu_relay_us`, … */
  figure: string
  /** The row divided by; default the system's limit (`limitFor`). */
  limit?: string
  /** The ratio must be at least this (for figures where more is better, like req/s). */
  min?: number
  /** The ratio must be at most this (latency, CPU). */
  max?: number
  /** Why this bound, shown when it fails. */
  why?: string
}

/** What bench/thresholds.json holds. */
export interface Thresholds {
  ratios: RatioThreshold[]
}

/** The outcome of one threshold. */
export interface CheckOutcome {
  threshold: RatioThreshold
  /** The measured ratio, or null when a row or figure was not measured (which fails the check). */
  ratio: number | null
  ok: boolean
  /** One line for people: the ratio, the bound, and what was missing when nothing was measured. */
  line: string
}

/** Reads and validates a thresholds file's text; throws naming the bad entry. */
export function parseThresholds(text: string): Thresholds {
  const parsed = JSON.parse(text) as { ratios?: unknown }
  if (!Array.isArray(parsed.ratios)) throw new Error('thresholds: "ratios" must be an array')
  for (const [i, t] of (parsed.ratios as RatioThreshold[]).entries()) {
    const where = `thresholds: ratios[${i}]`
    if (typeof t.system !== 'string' || typeof t.figure !== 'string' || typeof t.inflight !== 'number') {
      throw new Error(`${where} needs "system", "figure" and "inflight": ${JSON.stringify(t)}`)
    }
    if (typeof t.min !== 'number' && typeof t.max !== 'number') {
      throw new Error(`${where} (${t.system} ${t.figure}) needs "min" or "max"`)
    }
  }
  return parsed as Thresholds
}

/** Checks every threshold against the unary rows of one run. */
export function checkThresholds(rows: BenchRow[], thresholds: Thresholds): CheckOutcome[] {
  return thresholds.ratios.map((threshold) => checkOne(rows, threshold))
}

function checkOne(rows: BenchRow[], t: RatioThreshold): CheckOutcome {
  const limitName = t.limit ?? limitFor(t.system) ?? ''
  const find = (system: string) =>
    rows.find((r) => r.scenario === 'unary' && r.system === system && r.inflight === t.inflight)
  const label = `${t.system} / ${limitName} ${t.figure} @${t.inflight}`
  const row = find(t.system)
  const limit = find(limitName)
  const value = row?.[t.figure]
  const base = limit?.[t.figure]
  if (typeof value !== 'number' || typeof base !== 'number' || !(base > 0) || Number.isNaN(value)) {
    const missing = !row ? t.system : !limit ? limitName : `the figure ${t.figure}`
    return { threshold: t, ratio: null, ok: false, line: `${label}: not measured (${missing})` }
  }
  const ratio = Math.round((value / base) * 100) / 100
  const okMin = typeof t.min !== 'number' || ratio >= t.min
  const okMax = typeof t.max !== 'number' || ratio <= t.max
  const bound = [
    typeof t.min === 'number' ? `≥ ${t.min}×` : '',
    typeof t.max === 'number' ? `≤ ${t.max}×` : '',
  ]
    .filter(Boolean)
    .join(' and ')
  const ok = okMin && okMax
  const why = !ok && t.why ? ` — ${t.why}` : ''
  return { threshold: t, ratio, ok, line: `${label}: ${ratio}× (${bound}) ${ok ? 'ok' : 'FAILED'}${why}` }
}
