/** The `--breakdown` tables, in Markdown (they go into bench/README.md as they are printed). */
import type { Breakdown } from '../scenarios/breakdown.js'
import type { HopFigures } from './analyze.js'

/** Where the time of a hop is spent: in one process's JavaScript, or between processes. */
export function hopArea(hop: string): 'caller' | 'relay' | 'provider' | 'wire' | 'total' {
  if (hop.startsWith('wire:')) return 'wire'
  if (hop.startsWith('total')) return 'total'
  return hop.split(':')[0] as 'caller' | 'relay' | 'provider'
}

/** p50 µs summed per area: the medians of the hops of an area add up to its share of a typical call. */
export function areaShares(hops: HopFigures[]): Record<string, number> {
  const shares: Record<string, number> = { caller: 0, relay: 0, provider: 0, wire: 0 }
  for (const hop of hops) {
    const area = hopArea(hop.hop)
    if (area !== 'total') shares[area] = Math.round((shares[area]! + hop.p50_us) * 10) / 10
  }
  return shares
}

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`

/** The per-hop table of each system, the shares per area side by side, and the costs per process. */
export function formatBreakdown(results: Breakdown[]): string {
  const out: string[] = []
  for (const r of results) {
    out.push(
      `${r.system}: ${r.calls} calls analysed (${r.skipped} left out), with the probes on: ` +
        `${r.loop.rps} req/s, p50 ${r.loop.p50_us} µs, p99 ${r.loop.p99_us} µs`,
      '',
      row(['Hop', 'p50 µs', 'p99 µs', 'mean µs in the slowest 1%']),
      row(['---', '---:', '---:', '---:']),
      ...r.hops.map((h) => row([h.hop, h.p50_us, h.p99_us, h.tail_mean_us])),
      '',
    )
  }
  const shares = results.map((r) => areaShares(r.hops))
  out.push(
    row(['p50 µs per area', ...results.map((r) => r.system)]),
    row(['---', ...results.map(() => '---:')]),
    ...['caller', 'relay', 'provider', 'wire'].map((area) =>
      row([
        area === 'wire' ? 'wire (4 legs: send → the next process’s message event)' : `${area} JavaScript`,
        ...shares.map((s) => s[area]!),
      ]),
    ),
    '',
    row([
      'Per call (heap run)',
      'JS heap bytes allocated',
      'GCs per 1,000 calls',
      'messages in',
      'timers',
      'queueMicrotask',
      'nextTick',
    ]),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
  )
  for (const r of results) {
    for (const [name, c] of Object.entries(r.costs)) {
      out.push(
        row([
          `${r.system} ${name}`,
          c.bytes_per_call,
          c.gcs_per_1000_calls,
          c.messages_in_per_call,
          c.timers_per_call,
          c.microtasks_per_call,
          c.ticks_per_call,
        ]),
      )
    }
  }
  out.push(
    '',
    row(['Span (heap run)', 'system', 'spans with a GC', 'p50 µs with a GC', 'p50 µs without']),
    row(['---', '---', '---:', '---:', '---:']),
  )
  for (const r of results) {
    for (const g of r.gc) {
      out.push(row([g.span, r.system, g.with_gc, fmt(g.with_gc_p50_us), fmt(g.without_gc_p50_us)]))
    }
  }
  for (const r of results) {
    if (!r.objects) continue
    out.push('', row(['Objects allocated per call (census)', 'by type, most first']), row(['---', '---']))
    for (const [name, counts] of Object.entries(r.objects)) {
      const total = Math.round(Object.values(counts).reduce((a, b) => a + b, 0))
      const top = Object.entries(counts)
        .slice(0, 12)
        .map(([type, n]) => `${type} ${n}`)
        .join(', ')
      out.push(row([`${r.system} ${name} (${total})`, top]))
    }
  }
  return out.join('\n')
}

/**
 * The median of several runs' breakdowns of one system: every number is the median of the
 * numbers at the same place (hop, process, field) over the runs.
 */
export function medianBreakdown(runs: Breakdown[]): Breakdown {
  const merge = (values: unknown[]): unknown => {
    const first = values[0]
    if (typeof first === 'number') {
      const sorted = (values as number[]).filter((v) => typeof v === 'number').sort((a, b) => a - b)
      const mid = sorted.length >> 1
      return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
    }
    if (Array.isArray(first)) return first.map((_, i) => merge(values.map((v) => (v as unknown[])[i])))
    if (first && typeof first === 'object') {
      // A census type one run saw and another did not counts as 0 there.
      const keys = new Set(values.flatMap((v) => Object.keys((v ?? {}) as object)))
      const merged: Record<string, unknown> = {}
      for (const key of keys) {
        const column = values.map((v) => (v as Record<string, unknown> | null)?.[key])
        merged[key] =
          typeof column.find((c) => c !== undefined) === 'number'
            ? merge(column.map((c) => c ?? 0))
            : merge(column)
      }
      return merged
    }
    return first
  }
  return merge(runs) as Breakdown
}

function fmt(n: number | null): string {
  return n === null || Number.isNaN(n) ? '-' : String(n)
}
