/**
 * The `--breakdown` probes, installed from outside the packages in a bench process when
 * BREAKDOWN=1: they wrap what the packages use (the global WebSocket, `Bun.serve`, the timer
 * functions) and record an event row (events.ts) at each socket message and send. Import this
 * module before `@spider-mesh/ws/node`: that module captures the global WebSocket when it loads.
 *
 * stdin commands (see {@link probeCommand}): `PROBE_MODE time|heap` switches what is recorded,
 * `PROBE_DUMP <file>` writes the rows so far to a file, clears them and prints `PROBE_DUMPED`,
 * `PROBE_CENSUS start|end` counts the objects allocated in between by type ({@link census}).
 */
import { writeFileSync } from 'node:fs'
import { EPOCH_BASE_MS, Ev, F, type ProbeMode, STRIDE } from './events.js'

/** Whether this process runs with the probes. */
export const PROBING = process.env.BREAKDOWN === '1'

// Bounded: 1M events (48 MB) is ~40 s at 1 call in flight; past it, events are dropped.
const MAX_EVENTS = 1_000_000
let rows: Float64Array = new Float64Array(0)
let count = 0
let mode: ProbeMode = process.env.BREAKDOWN_MODE === 'heap' ? 'heap' : 'time'
const counters = { timers: 0, microtasks: 0, ticks: 0 }
let heapSize: () => number = () => 0

/** Records one event (a no-op without BREAKDOWN=1). */
export function probe(kind: number): void {
  if (count >= MAX_EVENTS || rows.length === 0) return
  const at = count++ * STRIDE
  rows[at + F.kind] = kind
  rows[at + F.t] = performance.timeOrigin - EPOCH_BASE_MS + performance.now()
  if (mode === 'heap') rows[at + F.heap] = heapSize()
  rows[at + F.timers] = counters.timers
  rows[at + F.microtasks] = counters.microtasks
  rows[at + F.ticks] = counters.ticks
}

let censusStart: Record<string, number> | null = null

/**
 * Object census: `start` collects all garbage and counts the heap's objects by type; `end`
 * counts again and returns the difference. Between the two, nothing is collected unless the
 * heap fills, so the difference is what was allocated (live or not) — by type.
 */
export function census(step: 'start' | 'end'): Record<string, number> {
  const jsc = require('bun:jsc') as typeof import('bun:jsc')
  if (step === 'start') {
    Bun.gc(true)
    censusStart = jsc.heapStats().objectTypeCounts
    return {}
  }
  const now = jsc.heapStats().objectTypeCounts
  const allocated: Record<string, number> = {}
  for (const [type, n] of Object.entries(now)) {
    const grown = n - (censusStart?.[type] ?? 0)
    if (grown > 0) allocated[type] = grown
  }
  return allocated
}

/** Handles a probe command from stdin; false when the line is not one. */
export function probeCommand(line: string): boolean {
  const [verb, arg] = line.split(' ')
  if (verb === 'PROBE_CENSUS') {
    const counts = census(arg === 'end' ? 'end' : 'start')
    console.log(`PROBE_CENSUS ${JSON.stringify(counts)}`)
  } else if (verb === 'PROBE_MODE') {
    mode = arg === 'heap' ? 'heap' : 'time'
  } else if (verb === 'PROBE_DUMP' && arg) {
    dumpProbe(arg)
    console.log('PROBE_DUMPED')
  } else {
    return false
  }
  return true
}

/** Writes the recorded rows (`{ mode, rows }` as JSON) and starts over. */
export function dumpProbe(file: string): void {
  writeFileSync(file, JSON.stringify({ mode, rows: Array.from(rows.subarray(0, count * STRIDE)) }))
  count = 0
}

/** Counts the tasks the process schedules: a wrapper per function, no allocation per call. */
function countScheduling(): void {
  const g = globalThis as Record<string, unknown>
  for (const name of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
    const original = g[name] as (...args: unknown[]) => unknown
    g[name] = function (this: unknown, ...args: unknown[]) {
      counters.timers++
      return original.apply(this, args)
    }
  }
  const microtask = globalThis.queueMicrotask
  globalThis.queueMicrotask = (callback) => {
    counters.microtasks++
    microtask(callback)
  }
  const nextTick = process.nextTick
  process.nextTick = function (this: unknown, ...args: Parameters<typeof nextTick>) {
    counters.ticks++
    return nextTick.apply(this, args)
  } as typeof nextTick
}

/** The W3C WebSocket the transporter opens under Bun, with its sends and messages recorded. */
function probeWebSocket(outKind: number, inKind: number): void {
  const Native = globalThis.WebSocket
  class ProbedWebSocket extends Native {
    override send(data: Parameters<WebSocket['send']>[0]): void {
      probe(outKind)
      super.send(data)
    }

    override set onmessage(handler: ((event: MessageEvent) => void) | null) {
      super.onmessage = handler
        ? (event: MessageEvent) => {
            probe(inKind)
            handler(event)
          }
        : null
    }

    override get onmessage(): ((event: MessageEvent) => void) | null {
      return super.onmessage
    }
  }
  globalThis.WebSocket = ProbedWebSocket as typeof WebSocket
}

type Role = 'caller' | 'provider' | 'other'

function roleOf(data: { role?: string; request?: { url?: string } | null } | undefined): Role {
  const role = data?.role ?? new URL(data?.request?.url ?? '/', 'http://relay').searchParams.get('role')
  return role === 'caller' || role === 'provider' ? role : 'other'
}

/**
 * `Bun.serve` with the relay's socket callbacks wrapped: each message in and each send out is
 * recorded with the role its socket connected with (`?role=caller|provider`).
 */
function probeBunServe(): void {
  const serve = Bun.serve
  const inKind = { caller: Ev.RelayInFromCaller, provider: Ev.RelayInFromProvider, other: -1 }
  const outKind = { caller: Ev.RelayOutToCaller, provider: Ev.RelayOutToProvider, other: -1 }
  // Untyped on purpose: Bun.serve's overloads cannot be forwarded with their types.
  ;(Bun as { serve: unknown }).serve = (options: any) => {
    const { open, message } = options.websocket
    options.websocket.open = (ws: any) => {
      const role = roleOf(ws.data)
      const send = ws.send
      ws.send = (data: unknown, compress?: boolean) => {
        probe(outKind[role])
        return send.call(ws, data, compress)
      }
      ws.data.probeRole = role
      return open?.(ws)
    }
    options.websocket.message = (ws: any, data: unknown) => {
      probe(inKind[ws.data.probeRole as Role])
      return message(ws, data)
    }
    return serve.call(Bun, options)
  }
}

/**
 * Installs the probes of one process kind (BREAKDOWN_KIND): `caller` and `provider` record their
 * WebSocket client's events, `relay` wraps `Bun.serve`. Bun only: it is the runtime of issue 14.
 */
export function installProbes(kind: string | undefined): void {
  if (!PROBING) return
  rows = new Float64Array(MAX_EVENTS * STRIDE)
  // require, not import: the Node bundles of the bench scripts include this module, never run it.
  heapSize = (require('bun:jsc') as typeof import('bun:jsc')).heapSize
  countScheduling()
  if (kind === 'caller') probeWebSocket(Ev.CallerOut, Ev.CallerIn)
  else if (kind === 'provider') probeWebSocket(Ev.ProviderOut, Ev.ProviderIn)
  else probeBunServe()
}
