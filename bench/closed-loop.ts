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
  /** Upper bound of measured calls; also the size of the preallocated latency array. */
  maxCalls: number
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
  const phase = async ({ ms, minCalls, maxMs }: Phase, recorder: LatencyRecorder | null) => {
    const t0 = performance.now()
    const until = t0 + ms
    const cap = t0 + maxMs
    let started = 0
    const more = () => {
      const now = performance.now()
      return (now < until || (started < minCalls && now < cap)) && started < options.maxCalls
    }
    const loop = async () => {
      while (more()) {
        started++
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
  const t0 = performance.now()
  await phase(measured(options), recorder)
  return result(options.inflight, recorder, performance.now() - t0)
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
  #until = 0
  #cap = 0
  #minCalls = 0
  #calls = 0
  #active = 0
  #phaseDone: (() => void) | null = null

  constructor(options: LoopOptions, send: (slot: number) => void) {
    this.#options = options
    this.#send = send
    this.#started = new Float64Array(options.inflight)
  }

  /** Warm-up, then the measured phase (`onMeasuring` as it starts, see {@link runAwaitLoops}). */
  async run(onMeasuring: () => void = () => {}): Promise<LoopResult> {
    await this.#phase(warmUp(this.#options), null)
    onMeasuring()
    const recorder = new LatencyRecorder(this.#options.maxCalls)
    const t0 = performance.now()
    await this.#phase(measured(this.#options), recorder)
    return result(this.#options.inflight, recorder, performance.now() - t0)
  }

  /** The reply for `slot` arrived: record it and start that slot's next call, or stop the slot. */
  complete(slot: number): void {
    const now = performance.now()
    this.#recorder?.record((now - this.#started[slot]!) * 1000)
    const more = now < this.#until || (this.#calls < this.#minCalls && now < this.#cap)
    if (more && this.#calls < this.#options.maxCalls) this.#start(slot, now)
    else if (--this.#active === 0) this.#phaseDone?.()
  }

  #phase({ ms, minCalls, maxMs }: Phase, recorder: LatencyRecorder | null): Promise<void> {
    this.#recorder = recorder
    this.#calls = 0
    this.#minCalls = minCalls
    const now = performance.now()
    this.#until = now + ms
    this.#cap = now + maxMs
    this.#active = this.#options.inflight
    return new Promise((resolve) => {
      this.#phaseDone = resolve
      for (let slot = 0; slot < this.#options.inflight; slot++) this.#start(slot, now)
    })
  }

  #start(slot: number, now: number): void {
    this.#calls++
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

function measured(options: LoopOptions): Phase {
  return { ms: options.durationMs, minCalls: 0, maxMs: options.durationMs }
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
 * WARMUP_MAX_MS, DURATION_MS, MAX_CALLS.
 */
export function loopOptionsFromEnv(env: Record<string, string | undefined> = process.env): LoopOptions {
  const warmupMs = Number(env.WARMUP_MS ?? 1000)
  return {
    inflight: Number(env.INFLIGHT ?? 1),
    warmupMs,
    warmupCalls: Number(env.WARMUP_CALLS ?? 0),
    warmupMaxMs: Number(env.WARMUP_MAX_MS ?? warmupMs),
    durationMs: Number(env.DURATION_MS ?? 3000),
    maxCalls: Number(env.MAX_CALLS ?? 4_000_000),
  }
}

/** The unary payload: a ~100-byte string, the same for every system. */
export const PAYLOAD = 'x'.repeat(100)
