/**
 * Promises that wait for one event (e.g. "no call in flight any more"), each released early by
 * `release()` or by its own deadline. Used by the relay's and the node's graceful drains.
 */
export class DeadlineWaiters {
  #waiting: (() => void)[] = []

  /** Whether anyone is waiting. */
  get waiting(): boolean {
    return this.#waiting.length > 0
  }

  /** Resolves at the next `release()`, or after `timeoutMs`, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(done, timeoutMs)
      this.#waiting.push(done)
    })
  }

  /** Releases everyone waiting now. */
  release(): void {
    for (const done of this.#waiting.splice(0)) done()
  }
}
