/**
 * CPU time of bench processes, read from /proc/<pid>/stat (Linux). The cluster scenario uses it
 * to say where a cross-relay call's time goes: on a 2-core machine, throughput at 64 in flight
 * is bounded by the CPU all processes of the path spend per call, not by any one of them.
 */
import { readFileSync } from 'node:fs'

/** Kernel clock ticks per second of utime/stime (USER_HZ): 100 on every common Linux build. */
function clockTicks(): number {
  try {
    const out = Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()
    const ticks = Number(out)
    return ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
}
const TICKS = clockTicks()

/**
 * utime + stime in clock ticks from the text of /proc/<pid>/stat, or NaN. Fields are counted
 * after the last `)`: the command name before it may itself hold spaces and parentheses.
 */
export function cpuTicksOfStat(stat: string): number {
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ')
  // After the name: state is field 3 of the man page, utime 14 and stime 15.
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : Number.NaN
}

/** CPU µs a process has used so far; NaN when it cannot be read (no /proc, process gone). */
export function cpuMicros(pid: number): number {
  try {
    return (cpuTicksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1_000_000) / TICKS
  } catch {
    return Number.NaN
  }
}

/**
 * CPU µs per unit of work (call, item) of each named process over a window: `start()` at the
 * window's start, `perUnit(units)` at its end. The kernel counts in ticks (10 ms at 100 Hz), so
 * over a 3 s window a figure is good to about ±10 ms of CPU: fine for the busy processes of a
 * path, coarse for one that is nearly idle.
 */
export class CpuMeter {
  readonly #pids: [string, number][]
  #start: number[] = []

  constructor(pids: Record<string, number>) {
    this.#pids = Object.entries(pids)
  }

  start(): void {
    this.#start = this.#pids.map(([, pid]) => cpuMicros(pid))
  }

  perUnit(units: number): Record<string, number> {
    const perUnit: Record<string, number> = {}
    this.#pids.forEach(([name, pid], i) => {
      const used = cpuMicros(pid) - this.#start[i]!
      perUnit[name] = units > 0 ? Math.round((used / units) * 100) / 100 : Number.NaN
    })
    return perUnit
  }
}
