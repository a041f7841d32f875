/** What one checkout's turns of an interleaved A/B run (interleave.ts) added up to. */
export interface Side {
  /** Every call's latency in µs, in the order made. */
  latencies: number[]
  /** CPU µs per call of each process over the turns (proc-cpu.ts CpuMeter). */
  cpu: { caller: number; relay: number; provider: number }
}

type Percentile = (sorted: ArrayLike<number>, p: number) => number

/** The figures of one side, by name, in the order the tables print them. */
export function figuresOf(side: Side, percentile: Percentile): Record<string, number> {
  const sorted = Float64Array.from(side.latencies).sort()
  const mean = side.latencies.reduce((sum, v) => sum + v, 0) / side.latencies.length
  return {
    'p50 µs': percentile(sorted, 50),
    'p99 µs': percentile(sorted, 99),
    'mean µs': mean,
    'caller CPU µs/call': side.cpu.caller,
    'relay CPU µs/call': side.cpu.relay,
    'provider CPU µs/call': side.cpu.provider,
  }
}

/** A table of both sides with the B/A ratio of each figure. */
export function summarize(a: Side, b: Side, percentile: Percentile): string {
  const fa = figuresOf(a, percentile)
  const fb = figuresOf(b, percentile)
  const rows = Object.keys(fa).map((name) => {
    const va = fa[name]!
    const vb = fb[name]!
    return `${name.padEnd(22)} ${va.toFixed(1).padStart(9)} ${vb.toFixed(1).padStart(9)} ${(vb / va).toFixed(3).padStart(7)}×`
  })
  return [`${'figure'.padEnd(22)} ${'A'.padStart(9)} ${'B'.padStart(9)} ${'B/A'.padStart(8)}`, ...rows].join(
    '\n',
  )
}

/**
 * The B/A ratio of each figure over sessions that started the two checkouts in opposite orders,
 * as a geometric mean: on this VM the side started first ran ~4% faster in some sessions (an A/A
 * read 1.04×), so one order alone can show a change that is not there, or hide one.
 */
export function combinedRatios(sessions: { a: Side; b: Side }[], percentile: Percentile): string {
  const ratios = sessions.map(({ a, b }) => {
    const fa = figuresOf(a, percentile)
    const fb = figuresOf(b, percentile)
    return Object.fromEntries(Object.keys(fa).map((name) => [name, fb[name]! / fa[name]!]))
  })
  const names = Object.keys(ratios[0] ?? {})
  const rows = names.map((name) => {
    const each = ratios.map((r) => r[name]!)
    const geo = Math.exp(each.reduce((sum, r) => sum + Math.log(r), 0) / each.length)
    return `${name.padEnd(22)} ${each.map((r) => `${r.toFixed(3)}×`.padStart(9)).join('')} ${`${geo.toFixed(3)}×`.padStart(9)}`
  })
  const heads = sessions.map((_, i) => `order ${i + 1}`.padStart(9)).join('')
  return [`${'B/A'.padEnd(22)} ${heads} ${'combined'.padStart(9)}`, ...rows].join('\n')
}
