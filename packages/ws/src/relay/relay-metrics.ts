/** Distinct service/method pairs tracked one by one; the rest are counted as `(other)`. */
export const MAX_SERIES = 1000

/** Longer service + method names are counted as `(other)`: a name is kept for the relay's lifetime. */
export const MAX_NAME_LENGTH = 256

/** Call outcomes as the relay sees them (it never decodes payloads, so an error is just an error). */
export type CallOutcome = 'ok' | 'error' | 'offline' | 'cancelled' | 'overloaded' | 'expired' | 'denied'

/** Upper bounds of the call-duration histogram, in seconds. */
export const DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

/** Counters of one service method. */
export class MethodStats {
  readonly service: string
  readonly method: string
  readonly outcomes: Record<CallOutcome, number> = {
    ok: 0,
    error: 0,
    offline: 0,
    cancelled: 0,
    overloaded: 0,
    expired: 0,
    denied: 0,
  }
  inFlight = 0
  /** Cumulative-on-render histogram: counts per bucket (last slot = +Inf). */
  readonly buckets = new Array<number>(DURATION_BUCKETS.length + 1).fill(0)
  durationSum = 0
  /** Recent durations (ms) in a ring, for the dashboard's p50/p99. */
  readonly #recent = new Float64Array(512)
  #recentCount = 0

  constructor(service: string, method: string) {
    this.service = service
    this.method = method
  }

  /** Records the end of a call that started at `startedAt` (performance.now()). */
  end(outcome: CallOutcome, startedAt: number, now: number): void {
    this.inFlight--
    this.outcomes[outcome]++
    const ms = now - startedAt
    const seconds = ms / 1000
    this.durationSum += seconds
    let i = 0
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++
    this.buckets[i]!++
    this.#recent[this.#recentCount++ % this.#recent.length] = ms
  }

  /** p50 and p99 of the most recent calls, in ms (undefined before the first call ends). */
  percentiles(): { p50: number; p99: number } | undefined {
    const n = Math.min(this.#recentCount, this.#recent.length)
    if (n === 0) return undefined
    const sorted = this.#recent.slice(0, n).sort()
    return { p50: sorted[Math.floor((n - 1) * 0.5)]!, p99: sorted[Math.floor((n - 1) * 0.99)]! }
  }
}

/**
 * The relay's counters. Everything the hot path touches is a field increment or one lookup in a
 * two-level map (no string building per call); the Prometheus text is built only when scraped.
 */
export class RelayMetrics {
  readonly startedAt = Date.now()
  bytesIn = 0
  bytesOut = 0
  framesIn = 0
  framesRejected = 0
  publications = 0
  deliveries = 0
  readonly #methods = new Map<string, Map<string, MethodStats>>()
  #series = 0
  /** Where calls go once MAX_SERIES names were seen: callers choose the names, so they must not grow memory. */
  readonly #other = new MethodStats('(other)', '(other)')

  /** The stats of `service.method`, created on first use. */
  method(service: string, method: string): MethodStats {
    let byMethod = this.#methods.get(service)
    let stats = byMethod?.get(method)
    if (stats) return stats
    if (this.#series >= MAX_SERIES || service.length + method.length > MAX_NAME_LENGTH) return this.#other
    if (!byMethod) {
      byMethod = new Map()
      this.#methods.set(service, byMethod)
    }
    stats = new MethodStats(service, method)
    byMethod.set(method, stats)
    this.#series++
    return stats
  }

  /** Every method seen so far. */
  methods(): MethodStats[] {
    const all: MethodStats[] = []
    for (const byMethod of this.#methods.values()) all.push(...byMethod.values())
    if (this.#other.buckets.some((n) => n > 0) || this.#other.inFlight > 0) all.push(this.#other)
    return all
  }
}
