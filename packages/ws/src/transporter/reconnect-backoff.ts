/**
 * When to try a lost relay again: exponential backoff from `reconnectIntervalMs`, capped at
 * `maxReconnectIntervalMs`, with ±25% jitter so that nodes that lost the same relay do not
 * all come back in the same millisecond. One pending attempt at a time.
 */
export class ReconnectBackoff {
  readonly #baseMs: number
  readonly #maxMs: number
  #attempt = 0
  #timer: ReturnType<typeof setTimeout> | undefined

  constructor(options: { reconnectIntervalMs: number; maxReconnectIntervalMs: number }) {
    this.#baseMs = options.reconnectIntervalMs
    this.#maxMs = options.maxReconnectIntervalMs
  }

  /** Runs `attempt` after the next delay, unless an attempt is already scheduled. */
  schedule(attempt: () => void): void {
    if (this.#timer) return
    const base = Math.min(this.#baseMs * 2 ** Math.min(this.#attempt, 16), this.#maxMs)
    const delay = Math.max(0, Math.round(base * (0.75 + Math.random() * 0.5)))
    this.#attempt++
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      attempt()
    }, delay)
  }

  /** A connection succeeded: the next loss starts from the shortest delay again. */
  reset(): void {
    this.#attempt = 0
  }

  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}
