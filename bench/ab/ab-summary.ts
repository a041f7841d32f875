/** What one checkout's turns of an interleaved A/B run (interleave.ts) added up to. */
export interface Side {
  /** Every call's latency in µs, in the order made. */
  latencies: number[]
  /** CPU µs per call of each process over the turns (proc-cpu.ts CpuMeter). */
  cpu: { caller: number; relay: number; provider: number }
}

/** A table of both sides with the B/A ratio of each figure. */
export function summarize(
  a: Side,
  b: Side,
  percentile: (sorted: ArrayLike<number>, p: number) => number,
): string {
  const figures = (side: Side) => {
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
  const fa = figures(a)
  const fb = figures(b)
  const rows = Object.keys(fa).map((name) => {
    const va = fa[name as keyof typeof fa]
    const vb = fb[name as keyof typeof fb]
    return `${name.padEnd(22)} ${va.toFixed(1).padStart(9)} ${vb.toFixed(1).padStart(9)} ${(vb / va).toFixed(3).padStart(7)}×`
  })
  return [`${'figure'.padEnd(22)} ${'A'.padStart(9)} ${'B'.padStart(9)} ${'B/A'.padStart(8)}`, ...rows].join(
    '\n',
  )
}
