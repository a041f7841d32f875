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
  return out.join('\n')
}

function fmt(n: number | null): string {
  return n === null || Number.isNaN(n) ? '-' : String(n)
}
