/**
 * Flow control of one served stream. The caller granted `window` values up front and grants
 * more with Credit frames as it consumes them; the provider may send only while it has credit.
 *
 * - An AsyncIterable source is pulled only while there is credit (`wait()`), so a slow consumer
 *   slows the producer end to end and nothing piles up anywhere.
 * - An Observable cannot be paused: what it emits past the credit waits here, up to
 *   `maxBufferedBytes` of encoded values; past that the stream fails (`overflow`), so memory never
 *   grows without bound and the connection is never closed for it. (Bytes, not values: a cold
 *   `from(array)` of small items should fit, a runaway hot source should not.)
 * - Without a window (a caller that predates flow control, or one that awaits the first value)
 *   everything goes out at once, as before.
 */
export class StreamCredit {
  #credit: number
  readonly #maxBufferedBytes: number
  #bufferedBytes = 0
  readonly #sendNext: (payload: Uint8Array) => void
  readonly #overflow: (bufferedBytes: number) => void
  #queue: Uint8Array[] = []
  /** The end of the stream (complete or error), held back until the queue is out. */
  #ending: (() => void) | undefined
  /** A pull loop waiting for credit. */
  #wake: (() => void) | undefined
  #failed = false

  constructor(
    window: number | undefined,
    maxBufferedBytes: number,
    sendNext: (payload: Uint8Array) => void,
    overflow: (bufferedBytes: number) => void,
  ) {
    this.#credit = window ?? Number.POSITIVE_INFINITY
    this.#maxBufferedBytes = maxBufferedBytes
    this.#sendNext = sendNext
    this.#overflow = overflow
  }

  /** Whether flow control applies (the caller sent a window). */
  get limited(): boolean {
    return this.#credit !== Number.POSITIVE_INFINITY
  }

  /** Whether a value may be sent now. */
  get open(): boolean {
    return this.#credit > 0 && this.#queue.length === 0
  }

  /** A value from a push source: out now if there is credit, else queued (or the stream fails). */
  push(payload: Uint8Array): void {
    if (this.#failed) return
    if (this.open) {
      this.#credit--
      this.#sendNext(payload)
      return
    }
    if (this.#bufferedBytes + payload.byteLength > this.#maxBufferedBytes) {
      const buffered = this.#bufferedBytes
      this.stop()
      this.#overflow(buffered)
      return
    }
    this.#bufferedBytes += payload.byteLength
    this.#queue.push(payload)
  }

  /** The stream ended: `finish` runs once every queued value is out. */
  end(finish: () => void): void {
    if (this.#failed) return
    if (this.#queue.length === 0) finish()
    else this.#ending = finish
  }

  /** The caller accepts `items` more values. */
  grant(items: number): void {
    if (!this.limited || this.#failed) return
    this.#credit += items
    while (this.#credit > 0 && this.#queue.length > 0) {
      this.#credit--
      const payload = this.#queue.shift()!
      this.#bufferedBytes -= payload.byteLength
      this.#sendNext(payload)
    }
    if (this.#queue.length === 0 && this.#ending) {
      const finish = this.#ending
      this.#ending = undefined
      finish()
    }
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** Resolves when a value may be sent (a pull source waits here while the caller is behind). */
  wait(): Promise<void> {
    if (this.open) return Promise.resolve()
    return new Promise((resolve) => {
      this.#wake = resolve
    })
  }

  /** The call was stopped: release a waiting pull loop and drop what is queued. */
  stop(): void {
    this.#failed = true
    this.#queue = []
    this.#bufferedBytes = 0
    this.#ending = undefined
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
