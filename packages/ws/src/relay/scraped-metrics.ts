import type { Metric, Registry } from 'prom-client'

/** One sample of a metric family: label values (raw; the exposition escapes them) and a number. */
export type Sample = [labels: Record<string, string>, value: number]

/** One histogram series: label values, the count per bucket (last slot = +Inf), and the sum. */
export interface HistogramSample {
  labels: Record<string, string>
  buckets: readonly number[]
  sum: number
}

interface Value {
  labels: Record<string, string | number>
  value: number
  metricName?: string
}

/**
 * A counter or histogram whose figures are the relay's own running totals, read when scraped.
 * prom-client's Counter only offers `inc()` and its Histogram only `observe()`: feeding them on
 * every call would put label lookups on the forwarding path, and mirroring totals into them in
 * `collect()` means `reset()` + `inc(total)` per series on every scrape — and cannot be done at
 * all for histogram buckets. So this is a collector of its own: a Registry reads a metric
 * through `name`, `help`, `type` and `get()` (as it reads its own), and formats and escapes the
 * values itself. prom-client's types list only its four classes, hence the one cast below.
 */
export class ScrapedMetric {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'histogram'
  readonly aggregator = 'sum'
  readonly #read: () => Value[]

  private constructor(
    registry: Registry,
    name: string,
    help: string,
    type: 'counter' | 'histogram',
    read: () => Value[],
  ) {
    this.name = name
    this.help = help
    this.type = type
    this.#read = read
    registry.registerMetric(this as unknown as Metric)
  }

  /** A counter family read by `read` at scrape time. */
  static counter(registry: Registry, name: string, help: string, read: () => Sample[]): ScrapedMetric {
    return new ScrapedMetric(registry, name, help, 'counter', () =>
      read().map(([labels, value]) => ({ labels, value })),
    )
  }

  /** A histogram family with upper `bounds` (+Inf added), from per-bucket counts read at scrape time. */
  static histogram(
    registry: Registry,
    name: string,
    help: string,
    bounds: readonly number[],
    read: () => HistogramSample[],
  ): ScrapedMetric {
    return new ScrapedMetric(registry, name, help, 'histogram', () => {
      const values: Value[] = []
      for (const { labels, buckets, sum } of read()) {
        let cumulative = 0
        bounds.forEach((le, i) => {
          cumulative += buckets[i] ?? 0
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative })
        })
        cumulative += buckets[bounds.length] ?? 0
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative })
        values.push({ metricName: `${name}_sum`, labels, value: sum })
        values.push({ metricName: `${name}_count`, labels, value: cumulative })
      }
      return values
    })
  }

  /** What the registry renders: the family and its current values. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.#read(),
    }
  }

  /** `registry.resetMetrics()` resets every metric; these figures belong to the relay, not the registry. */
  reset(): void {}
}
