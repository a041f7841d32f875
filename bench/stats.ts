/**
 * Latency statistics for the bench: a recorder over a preallocated array (no allocation or GC
 * while measuring) and nearest-rank percentiles.
 */

/** Nearest-rank percentile of an ascending array: the smallest value with at least p% at or below it. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN
  if (p <= 0) return sorted[0]!
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(rank, sorted.length) - 1]!
}

/** What a recorder reports. */
export interface LatencySummary {
  count: number
  p50_us: number
  p99_us: number
  max_us: number
}

/**
 * Collects latencies (µs) into a fixed-size Float64Array. Past its capacity it drops samples and
 * counts them, so a caller bounds its loop by `capacity` to keep every call measured.
 */
export class LatencyRecorder {
  readonly capacity: number
  readonly #samples: Float64Array
  #count = 0
  #dropped = 0

  constructor(capacity: number) {
    this.capacity = capacity
    this.#samples = new Float64Array(capacity)
  }

  get count(): number {
    return this.#count
  }

  get dropped(): number {
    return this.#dropped
  }

  record(us: number): void {
    if (this.#count < this.capacity) this.#samples[this.#count++] = us
    else this.#dropped++
  }

  /** Sorts the samples taken so far (in place) and reads p50, p99 and max. */
  summary(): LatencySummary {
    const sorted = this.#samples.subarray(0, this.#count).sort()
    return {
      count: this.#count,
      p50_us: round1(percentile(sorted, 50)),
      p99_us: round1(percentile(sorted, 99)),
      max_us: round1(percentile(sorted, 100)),
    }
  }
}

/** The median of a list (mean of the middle two for an even count); NaN when empty. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Rounds to one decimal: µs below that are noise. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10
}
