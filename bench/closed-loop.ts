import { say } from './lifeline.js'
import { LatencyRecorder, type LatencySummary } from './stats.js'

/** How a caller process runs its workload: read from its environment by the caller. */
export interface LoopOptions {
  /** Calls in flight: this many loops each wait for their reply before the next call. */
  inflight: number
  warmupMs: number
  /**
   * The warm-up also lasts until this many calls have been made (JIT tiers are reached by counts,
   * not time: one call in flight makes ~5k calls a second, 64 in flight ~100k), but never past
   * `warmupMaxMs`. Default 0: time only.
   */
  warmupCalls: number
  /** The longest a warm-up may take to reach `warmupCalls` (default: `warmupMs`). */
  warmupMaxMs: number
  durationMs: number
  /**
   * The measured phase in this many slices of `durationMs / turns`, each run when the bench
   * says `TURN` on stdin and followed by a `TURN_DONE` line (see {@link turnCommand}): the unary
   * scenario interleaves the slices of a system and its limit. Default 1: one phase, no waiting.
   */
  turns: number
  /** Upper bound of measured calls; also the size of the preallocated latency array. */
  maxCalls: number
}

// The turns the bench has granted and not yet used, and the slice waiting for one.
let granted = 0
let waiting: (() => void) | null = null

/** Handles a line from the bench: `TURN` lets the next measured slice run. False for other lines. */
export function turnCommand(line: string): boolean {
  if (line !== 'TURN') return false
  granted++
  const wake = waiting
  waiting = null
  wake?.()
  return true
}

function nextTurn(): Promise<void> {
  if (granted > 0) {
    granted--
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    waiting = () => {
      granted--
      resolve()
    }
  })
}

/**
 * Unmeasured calls at the start of each turn. The processes of a system slept through the other
 * systems' turns, and their first calls after it pay for that (caches, wake-ups): without this,
 * 6 turns put enough slow first calls into a 3 s window to set a limit's p99 at ~700 µs, where
 * it is ~200 µs measured in one piece.
 */
const REWARM_MS = 100

/**
 * When a phase's loops stop starting calls: past its `ms`, and past `minCalls` calls too unless
 * `maxMs` came first; never past `maxCalls` calls. One per loop runner, for both kinds of loops.
 */
class PhaseLimit {
  /** Calls started in the phase; the measured slices share one count (see measuredSlices). */
  calls = 0
  #until = 0
  #cap = 0
  #minCalls = 0
  readonly #maxCalls: number

  constructor(maxCalls: number) {
    this.#maxCalls = maxCalls
  }

  begin({ ms, minCalls, maxMs }: Phase, now: number): void {
    this.#until = now + ms
    this.#cap = now + maxMs
    this.#minCalls = minCalls
  }

  more(now: number): boolean {
    const going = now < this.#until || (this.calls < this.#minCalls && now < this.#cap)
    return going && this.calls < this.#maxCalls
  }
}

/**
 * Runs the measured phase as `options.turns` slices (one, unless the bench asked for turns),
 * each through `slice(ms, true)` after a short unmeasured `slice(REWARM_MS, false)`; answers
 * the time spent in the measured slices. The measured calls are counted from 0 across the
 * slices, and a re-warm's calls not at all (`limit.calls`).
 */
async function measuredSlices(
  options: LoopOptions,
  limit: PhaseLimit,
  slice: (ms: number, measure: boolean) => Promise<void>,
): Promise<number> {
  limit.calls = 0
  if (options.turns <= 1) {
    const t0 = performance.now()
    await slice(options.durationMs, true)
    return performance.now() - t0
  }
  const ms = options.durationMs / options.turns
  let elapsed = 0
  for (let turn = 0; turn < options.turns; turn++) {
    await nextTurn()
    const counted = limit.calls
    await slice(REWARM_MS, false)
    limit.calls = counted
    const t0 = performance.now()
    await slice(ms, true)
    elapsed += performance.now() - t0
    say('TURN_DONE')
  }
  return elapsed
}

/** What one measured phase produced. */
export interface LoopResult extends LatencySummary {
  inflight: number
  elapsed_ms: number
  rps: number
}

/**
 * Runs `call` in `inflight` concurrent loops (`await call()` in each): first for the warm-up,
 * unmeasured, then for the measured duration with each call's latency recorded. `onMeasuring`
 * runs as the measured phase starts (a caller prints MEASURING, so the bench can meter CPU over
 * exactly that window).
 */
export async function runAwaitLoops(
  options: LoopOptions,
  call: () => Promise<unknown>,
  onMeasuring: () => void = () => {},
): Promise<LoopResult> {
  const limit = new PhaseLimit(options.maxCalls)
  const phase = async (p: Phase, recorder: LatencyRecorder | null) => {
    limit.begin(p, performance.now())
    const loop = async () => {
      while (limit.more(performance.now())) {
        limit.calls++
        const t0 = performance.now()
        await call()
        recorder?.record((performance.now() - t0) * 1000)
      }
    }
    await Promise.all(Array.from({ length: options.inflight }, loop))
  }
  await phase(warmUp(options), null)
  onMeasuring()
  const recorder = new LatencyRecorder(options.maxCalls)
  const elapsed = await measuredSlices(options, limit, (ms, measure) =>
    phase(slicePhase(ms), measure ? recorder : null),
  )
  return result(options.inflight, recorder, elapsed)
}

/**
 * The callback form for the minimal limit caller, which has no promises to await: `send(slot)`
 * starts a call and the caller invokes the returned `complete(slot)` when its reply arrives.
 */
export class CallbackLoops {
  readonly #options: LoopOptions
  readonly #send: (slot: number) => void
  readonly #started: Float64Array
  #recorder: LatencyRecorder | null = null
  readonly #limit: PhaseLimit
  #active = 0
  #phaseDone: (() => void) | null = null

  constructor(options: LoopOptions, send: (slot: number) => void) {
    this.#options = options
    this.#send = send
    this.#started = new Float64Array(options.inflight)
    this.#limit = new PhaseLimit(options.maxCalls)
  }

  /** Warm-up, then the measured phase (`onMeasuring` as it starts, see {@link runAwaitLoops}). */
  async run(onMeasuring: () => void = () => {}): Promise<LoopResult> {
    await this.#phase(warmUp(this.#options), null)
    onMeasuring()
    const recorder = new LatencyRecorder(this.#options.maxCalls)
    const elapsed = await measuredSlices(this.#options, this.#limit, (ms, measure) =>
      this.#phase(slicePhase(ms), measure ? recorder : null),
    )
    return result(this.#options.inflight, recorder, elapsed)
  }

  /** The reply for `slot` arrived: record it and start that slot's next call, or stop the slot. */
  complete(slot: number): void {
    const now = performance.now()
    this.#recorder?.record((now - this.#started[slot]!) * 1000)
    if (this.#limit.more(now)) this.#start(slot, now)
    else if (--this.#active === 0) this.#phaseDone?.()
  }

  #phase(p: Phase, recorder: LatencyRecorder | null): Promise<void> {
    this.#recorder = recorder
    const now = performance.now()
    this.#limit.begin(p, now)
    this.#active = this.#options.inflight
    return new Promise((resolve) => {
      this.#phaseDone = resolve
      for (let slot = 0; slot < this.#options.inflight; slot++) this.#start(slot, now)
    })
  }

  #start(slot: number, now: number): void {
    this.#limit.calls++
    this.#started[slot] = now
    this.#send(slot)
  }
}

/** How long a phase runs: `ms`, and past it until `minCalls` calls were made, up to `maxMs`. */
interface Phase {
  ms: number
  minCalls: number
  maxMs: number
}

function warmUp(options: LoopOptions): Phase {
  return {
    ms: options.warmupMs,
    minCalls: options.warmupCalls,
    maxMs: Math.max(options.warmupMs, options.warmupMaxMs),
  }
}

/** A measured slice (or a re-warm): `ms`, with no count to reach. */
function slicePhase(ms: number): Phase {
  return { ms, minCalls: 0, maxMs: ms }
}

function result(inflight: number, recorder: LatencyRecorder, elapsedMs: number): LoopResult {
  const summary = recorder.summary()
  return {
    inflight,
    elapsed_ms: Math.round(elapsedMs),
    rps: Math.round((summary.count * 1000) / elapsedMs),
    ...summary,
  }
}

/**
 * Reads the loop options every caller process takes: INFLIGHT, WARMUP_MS, WARMUP_CALLS,
 * WARMUP_MAX_MS, DURATION_MS, TURNS, MAX_CALLS.
 */
export function loopOptionsFromEnv(env: Record<string, string | undefined> = process.env): LoopOptions {
  const warmupMs = Number(env.WARMUP_MS ?? 1000)
  return {
    inflight: Number(env.INFLIGHT ?? 1),
    warmupMs,
    warmupCalls: Number(env.WARMUP_CALLS ?? 0),
    warmupMaxMs: Number(env.WARMUP_MAX_MS ?? warmupMs),
    turns: Number(env.TURNS ?? 1),
    durationMs: Number(env.DURATION_MS ?? 3000),
    maxCalls: Number(env.MAX_CALLS ?? 4_000_000),
  }
}

/** The unary payload: a ~100-byte string, the same for every system. */
export const PAYLOAD = 'x'.repeat(100)
