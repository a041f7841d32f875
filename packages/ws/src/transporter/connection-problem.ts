/**
 * Why a relay connection is down, said once per state change: a wrong URL must be loud (the
 * first failed attempt logs the URL and the cause), a long outage must not log every retry.
 */
export class ConnectionProblem {
  readonly #url: string
  #warned = false
  /** The socket's error before its close: Node's `ws` names the cause (ECONNREFUSED), browsers do not. */
  #socketError: string | undefined
  #last: string | undefined

  constructor(url: string) {
    this.#url = url
  }

  /** A new socket: forget the previous one's error. */
  opening(): void {
    this.#socketError = undefined
  }

  /** The socket's `error` event. */
  socketError(event: unknown): void {
    const e = event as { message?: string; error?: { message?: string } } | undefined
    this.#socketError = e?.error?.message ?? e?.message
  }

  /** An attempt (or the connection) failed; returns the warning to log, the first time only. */
  failed(why: string, wasConnected: boolean): string | undefined {
    this.#last = this.#socketError ? `${why}: ${this.#socketError}` : why
    if (wasConnected || this.#warned) return undefined
    this.#warned = true
    return `Cannot reach relay ${this.#url}: ${this.#last}; retrying with backoff`
  }

  /** The relay welcomed this node: the next failure is news again. */
  connected(): void {
    this.#warned = false
    this.#last = undefined
  }

  /** Why the relay is not connected now, for error messages. */
  describe(): string {
    return `${this.#url}: ${this.#last ?? 'connecting'}`
  }
}
