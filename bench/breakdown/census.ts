import type { Child } from '../child.js'

/**
 * The parent's side of the object census (probe.ts `census`, asked for with `PROBE_CENSUS
 * start|end` on a child's stdin): what a child counts, and the counts per unit of work. Used by
 * `--breakdown` (objects per call) and by idle-census.ts (objects per idle connection).
 */

/** Asks `child` to start or end its census; `end` answers the objects allocated since `start`, by type. */
export async function askCensus(child: Child, step: 'start' | 'end'): Promise<Record<string, number>> {
  const answer = await child.ask(`PROBE_CENSUS ${step}`, /^PROBE_CENSUS (.*)$/, 30_000)
  return JSON.parse(answer[1]!) as Record<string, number>
}

/**
 * Objects per unit by type, most first: each count divided by `units` (rounded to `decimals` when
 * given), types under `floor` left out.
 */
export function perUnit(
  counts: Record<string, number>,
  units: number,
  floor = 0.05,
  decimals?: number,
): [string, number][] {
  const scale = decimals === undefined ? undefined : 10 ** decimals
  return Object.entries(counts)
    .map(([type, n]) => {
      const each = n / units
      return [type, scale === undefined ? each : Math.round(each * scale) / scale] as [string, number]
    })
    .filter(([, n]) => n >= floor)
    .sort((a, b) => b[1] - a[1])
}
