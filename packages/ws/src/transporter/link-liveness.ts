/** What a relay connection's heartbeat looks at. */
export interface LivenessState {
  welcomed: boolean
  helloSent: boolean
  /** The relay said Goodbye: it closes the socket itself once its calls are done. */
  relayLeaving: boolean
  /** When the socket opened and when the last frame arrived (ms since epoch). */
  openedAt: number
  lastSeen: number
  /**
   * When this process was last found to have been paused (a heartbeat tick far later than its
   * interval: SIGSTOP, a suspended laptop, a long pause); 0 if never.
   */
  resumedAt: number
  heartbeatIntervalMs: number
}

/** Why to give up on a connection now, and how to close it. */
export interface LivenessVerdict {
  why: string
  closeCode: number
  closeReason: string
}

/**
 * The heartbeat's decision for one relay connection: give up on it (a dead peer may never
 * deliver a close event), or undefined to keep it and send a ping.
 */
export function checkLiveness(state: LivenessState, now: number): LivenessVerdict | undefined {
  // The relay answers pings even before Welcome, so liveness alone would not notice a Hello it
  // never accepted (malformed, or lost): give it a deadline of its own.
  const waitedForWelcome = now - state.openedAt
  if (
    !state.welcomed &&
    !state.relayLeaving &&
    state.helloSent &&
    waitedForWelcome > Math.max(5000, state.heartbeatIntervalMs)
  ) {
    return {
      why: `the relay did not welcome this node within ${waitedForWelcome} ms`,
      closeCode: 1000,
      closeReason: 'no Welcome',
    }
  }
  // Right after this process was paused, what the relay sent meanwhile still waits unread in the
  // socket (and runtimes may fire the missed ticks back to back): silence says nothing about the
  // relay yet. Ping, and judge once an interval has passed with this process running.
  if (now - state.resumedAt < state.heartbeatIntervalMs) return undefined
  const silentFor = now - state.lastSeen
  if (silentFor > state.heartbeatIntervalMs * 2.5) {
    return {
      why: `no frame from the relay for ${silentFor} ms (heartbeat deadline)`,
      closeCode: 4408,
      closeReason: 'heartbeat timeout',
    }
  }
  return undefined
}

/** Whether a heartbeat tick at `now` comes so late after the previous one that this process was paused. */
export function wasPaused(lastTick: number, now: number, heartbeatIntervalMs: number): boolean {
  return lastTick > 0 && now - lastTick > heartbeatIntervalMs * 2
}

/**
 * The times one relay connection's heartbeat judges by, and its timer: when the socket opened,
 * when a frame last came, when the heartbeat last ticked and when a late tick showed this
 * process had been paused. RelayLink keeps one per connection attempt's lifetime.
 */
export class LinkClock {
  /** When the last frame arrived (ms since epoch). */
  lastSeen = 0
  #openedAt = 0
  #lastTick = 0
  #resumedAt = 0
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #intervalMs: number

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs
  }

  /** The socket opened at `now`: the times start there, and `tick` runs every interval. */
  start(now: number, tick: () => void): void {
    this.lastSeen = this.#openedAt = this.#lastTick = now
    this.#timer = setInterval(tick, this.#intervalMs)
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** A heartbeat tick at `now`: the verdict on a connection in `state` (see checkLiveness). */
  check(
    now: number,
    state: Pick<LivenessState, 'welcomed' | 'helloSent' | 'relayLeaving'>,
  ): LivenessVerdict | undefined {
    if (wasPaused(this.#lastTick, now, this.#intervalMs)) this.#resumedAt = now
    this.#lastTick = now
    return checkLiveness(
      {
        ...state,
        openedAt: this.#openedAt,
        lastSeen: this.lastSeen,
        resumedAt: this.#resumedAt,
        heartbeatIntervalMs: this.#intervalMs,
      },
      now,
    )
  }
}
