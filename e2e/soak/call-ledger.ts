import type { ManagedProcess } from '../harness/index.js'

/** One call a soak caller made, from its `BEGIN` and `END` lines (see fixtures/soak-caller.ts). */
export interface CallRecord {
  caller: string
  id: number
  kind: string
  /** Stream tag on the provider, or `-`. */
  tag: string
  begunAt: number
  end?: {
    outcome: 'ok' | 'error' | 'bad'
    code: string
    durationMs: number
    idleMs: number
    values: number
    at: number
  }
}

/** Every call of one caller process, by id, read from its output so far. */
export function callsOf(proc: ManagedProcess): Map<number, CallRecord> {
  const calls = new Map<number, CallRecord>()
  for (const [, id, kind, tag, at] of proc.matching(/^BEGIN (\d+) (\S+) (\S+) (\d+)$/)) {
    calls.set(Number(id), { caller: proc.name, id: Number(id), kind: kind!, tag: tag!, begunAt: Number(at) })
  }
  for (const m of proc.matching(/^END (\d+) (\S+) (ok|error|bad) (\S+) (\d+) (\d+) (\d+) (\d+)$/)) {
    const call = calls.get(Number(m[1]))
    if (!call) continue
    call.end = {
      outcome: m[3] as 'ok' | 'error' | 'bad',
      code: m[4]!,
      durationMs: Number(m[5]),
      idleMs: Number(m[6]),
      values: Number(m[7]),
      at: Number(m[8]),
    }
  }
  return calls
}

/** Calls that were running at `at`: begun before it and not ended before it. */
export function runningAt(calls: Iterable<CallRecord>, at: number): CallRecord[] {
  return [...calls].filter((call) => call.begunAt <= at && (!call.end || call.end.at >= at))
}

/** Stream tags a provider process started and has not (yet) stopped. */
export function openStreams(provider: ManagedProcess): Set<string> {
  const open = new Set<string>()
  for (const line of provider.lines) {
    if (line.stream !== 'stdout') continue
    const started = /^STARTED (\S+)$/.exec(line.text)
    if (started) open.add(started[1]!)
    const stopped = /^STOPPED (\S+)$/.exec(line.text)
    if (stopped) open.delete(stopped[1]!)
  }
  return open
}

/** Counts of how calls ended: `ok`, `bad`, and one entry per error code. */
export function outcomes(calls: Iterable<CallRecord>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const call of calls) {
    if (!call.end) continue
    const key = call.end.outcome === 'error' ? call.end.code : call.end.outcome
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}
