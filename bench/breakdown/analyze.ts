/**
 * Turns the `--breakdown` event logs (events.ts) of a caller, a relay and a provider into where a
 * serial call's time goes (µs per hop, median and p99) and what each process allocates and
 * schedules per call. Pure functions over the logs: unit-tested with fixed inputs.
 */
import { percentile } from '../stats.js'
import { Ev, F, STRIDE } from './events.js'

/** One process's log as a probe dumps it. */
export interface ProbeLog {
  mode: 'time' | 'heap'
  rows: number[]
}

/** The event kinds a call passes, in order, caller first and last. */
export type Chain = readonly number[]

/** A Spider Mesh call: around the public API, and every socket on the way. */
export const MESH_CHAIN: Chain = [
  Ev.CallerCall,
  Ev.CallerOut,
  Ev.RelayInFromCaller,
  Ev.RelayOutToProvider,
  Ev.ProviderIn,
  Ev.ProviderMethod,
  Ev.ProviderOut,
  Ev.RelayInFromProvider,
  Ev.RelayOutToCaller,
  Ev.CallerIn,
  Ev.CallerDone,
]

/** A limit call: bytes out, through the forwarder and the echoing provider, bytes in. */
export const LIMIT_CHAIN: Chain = [
  Ev.CallerOut,
  Ev.RelayInFromCaller,
  Ev.RelayOutToProvider,
  Ev.ProviderIn,
  Ev.ProviderOut,
  Ev.RelayInFromProvider,
  Ev.RelayOutToCaller,
  Ev.CallerIn,
]

const HOP_NAMES: Record<string, string> = {
  [`${Ev.CallerCall}>${Ev.CallerOut}`]: 'caller: call → socket send',
  [`${Ev.CallerOut}>${Ev.RelayInFromCaller}`]: 'wire: caller → relay',
  [`${Ev.RelayInFromCaller}>${Ev.RelayOutToProvider}`]: 'relay: request in → out',
  [`${Ev.RelayOutToProvider}>${Ev.ProviderIn}`]: 'wire: relay → provider',
  [`${Ev.ProviderIn}>${Ev.ProviderMethod}`]: 'provider: socket in → method',
  [`${Ev.ProviderMethod}>${Ev.ProviderOut}`]: 'provider: method → socket send',
  [`${Ev.ProviderIn}>${Ev.ProviderOut}`]: 'provider: socket in → send',
  [`${Ev.ProviderOut}>${Ev.RelayInFromProvider}`]: 'wire: provider → relay',
  [`${Ev.RelayInFromProvider}>${Ev.RelayOutToCaller}`]: 'relay: response in → out',
  [`${Ev.RelayOutToCaller}>${Ev.CallerIn}`]: 'wire: relay → caller',
  [`${Ev.CallerIn}>${Ev.CallerDone}`]: 'caller: socket in → resolved',
}

/** The name of the hop between two consecutive kinds of a chain. */
export function hopName(from: number, to: number): string {
  return HOP_NAMES[`${from}>${to}`] ?? `${from} → ${to}`
}

/** Events of one kind in time order: the `t` column of the rows with that kind. */
function timesByKind(logs: ProbeLog[]): Map<number, number[]> {
  const byKind = new Map<number, number[]>()
  for (const log of logs) {
    for (let at = 0; at + STRIDE <= log.rows.length; at += STRIDE) {
      const kind = log.rows[at + F.kind]!
      const list = byKind.get(kind) ?? []
      if (list.length === 0) byKind.set(kind, list)
      list.push(log.rows[at + F.t]!)
    }
  }
  for (const list of byKind.values()) list.sort((a, b) => a - b)
  return byKind
}

/** Index of the first value ≥ `t` in an ascending list (its length when none). */
function firstAtOrAfter(list: number[], t: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (list[mid]! < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Each measured call's stamps (ms) along `chain`, from time-mode logs. Calls start at the
 * chain's first kind inside the caller's window; each next stamp is the first event of the next
 * kind at or after the previous one, and it must come before the next call starts. A call
 * whose chain breaks (an event missing, e.g. a heartbeat frame in between) is left out.
 */
export function callStamps(logs: ProbeLog[], chain: Chain): { calls: number[][]; skipped: number } {
  const byKind = timesByKind(logs)
  const windowStart = byKind.get(Ev.WindowStart)?.[0] ?? Number.NEGATIVE_INFINITY
  const windowEnd = byKind.get(Ev.WindowEnd)?.[0] ?? Number.POSITIVE_INFINITY
  const starts = (byKind.get(chain[0]!) ?? []).filter((t) => t >= windowStart && t <= windowEnd)
  const calls: number[][] = []
  let skipped = 0
  for (const [i, start] of starts.entries()) {
    const limit = starts[i + 1] ?? windowEnd
    const stamps = [start]
    for (const kind of chain.slice(1)) {
      const list = byKind.get(kind) ?? []
      const t = list[firstAtOrAfter(list, stamps[stamps.length - 1]!)]
      if (t === undefined || t > limit) break
      stamps.push(t)
    }
    if (stamps.length === chain.length) calls.push(stamps)
    else skipped++
  }
  return { calls, skipped }
}

/** One hop's figures in µs. */
export interface HopFigures {
  hop: string
  p50_us: number
  p99_us: number
  /** Mean µs of this hop over the slowest 1% of calls (by total): where the tail's time is. */
  tail_mean_us: number
}

/** The per-hop table of a set of calls (stamps in ms), plus the end-to-end total as the last row. */
export function hopFigures(calls: number[][], chain: Chain): HopFigures[] {
  if (calls.length === 0) return []
  const totals = calls.map((s) => s[s.length - 1]! - s[0]!)
  const cut = percentile(
    Float64Array.from(totals).sort((a, b) => a - b),
    99,
  )
  const tail = calls.filter((_, i) => totals[i]! >= cut)
  const figures = (name: string, span: (s: number[]) => number): HopFigures => {
    const sorted = Float64Array.from(calls.map(span)).sort((a, b) => a - b)
    const tailMean = tail.reduce((sum, s) => sum + span(s), 0) / tail.length
    return {
      hop: name,
      p50_us: round1(percentile(sorted, 50) * 1000),
      p99_us: round1(percentile(sorted, 99) * 1000),
      tail_mean_us: round1(tailMean * 1000),
    }
  }
  const hops = chain.slice(1).map((kind, i) => figures(hopName(chain[i]!, kind), (s) => s[i + 1]! - s[i]!))
  return [...hops, figures('total (end to end)', (s) => s[s.length - 1]! - s[0]!)]
}

/** What one process allocates and schedules per call, from a heap-mode log. */
export interface ProcessCosts {
  /** JS heap bytes allocated per call: the sum of the heap's increases between events. */
  bytes_per_call: number
  /** Garbage collections (a drop of the heap size between two events) per 1,000 calls. */
  gcs_per_1000_calls: number
  /** Socket messages this process received per call: event-loop turns it was woken for. */
  messages_in_per_call: number
  timers_per_call: number
  microtasks_per_call: number
  ticks_per_call: number
}

/**
 * A process's costs per call over the caller's measured window (heap-mode logs). `inKinds`
 * are the kinds that are a socket message received by this process.
 */
export function processCosts(
  log: ProbeLog,
  window: { start: number; end: number; calls: number },
  inKinds: readonly number[],
): ProcessCosts {
  let allocated = 0
  let gcs = 0
  let messages = 0
  let first = -1
  let last = -1
  let previousHeap = Number.NaN
  for (let at = 0; at + STRIDE <= log.rows.length; at += STRIDE) {
    const t = log.rows[at + F.t]!
    if (t < window.start || t > window.end) continue
    if (first < 0) first = at
    last = at
    const heap = log.rows[at + F.heap]!
    if (heap > previousHeap) allocated += heap - previousHeap
    else if (heap < previousHeap) gcs++
    previousHeap = heap
    if (inKinds.includes(log.rows[at + F.kind]!)) messages++
  }
  const calls = Math.max(1, window.calls)
  const delta = (field: number) => (first < 0 ? 0 : log.rows[last + field]! - log.rows[first + field]!)
  return {
    bytes_per_call: Math.round(allocated / calls),
    gcs_per_1000_calls: round1((gcs * 1000) / calls),
    messages_in_per_call: round2(messages / calls),
    timers_per_call: round2(delta(F.timers) / calls),
    microtasks_per_call: round2(delta(F.microtasks) / calls),
    ticks_per_call: round2(delta(F.ticks) / calls),
  }
}

/** The caller's measured window in a heap-mode log, and how many calls (chain starts) it holds. */
export function measuredWindow(
  callerLog: ProbeLog,
  firstKind: number,
): { start: number; end: number; calls: number } {
  let start = Number.NEGATIVE_INFINITY
  let end = Number.POSITIVE_INFINITY
  const starts: number[] = []
  for (let at = 0; at + STRIDE <= callerLog.rows.length; at += STRIDE) {
    const kind = callerLog.rows[at + F.kind]!
    const t = callerLog.rows[at + F.t]!
    if (kind === Ev.WindowStart) start = t
    else if (kind === Ev.WindowEnd) end = t
    else if (kind === firstKind) starts.push(t)
  }
  return { start, end, calls: starts.filter((t) => t >= start && t <= end).length }
}

/** A process-local span (e.g. relay in → out) with and without a collection inside it. */
export interface GcSpan {
  span: string
  with_gc: number
  with_gc_p50_us: number
  without_gc_p50_us: number
}

/**
 * From a heap-mode log, the spans `from → to` (the next `to` after each `from`) split by whether
 * the heap shrank inside them, i.e. a collection ran there: the difference of the medians is
 * what a collection costs the call that meets it (Bun exposes no GC pause timings).
 */
export function gcSpans(log: ProbeLog, from: number, to: number): GcSpan {
  const withGc: number[] = []
  const without: number[] = []
  let open: { t: number; heap: number; shrank: boolean } | null = null
  let previousHeap = Number.NaN
  for (let at = 0; at + STRIDE <= log.rows.length; at += STRIDE) {
    const kind = log.rows[at + F.kind]!
    const t = log.rows[at + F.t]!
    const heap = log.rows[at + F.heap]!
    if (open && heap < previousHeap) open.shrank = true
    previousHeap = heap
    if (kind === from) open = { t, heap, shrank: false }
    else if (kind === to && open) {
      ;(open.shrank ? withGc : without).push((t - open.t) * 1000)
      open = null
    }
  }
  const p50 = (list: number[]) =>
    round1(
      percentile(
        Float64Array.from(list).sort((a, b) => a - b),
        50,
      ),
    )
  return {
    span: hopName(from, to),
    with_gc: withGc.length,
    with_gc_p50_us: p50(withGc),
    without_gc_p50_us: p50(without),
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
