import { encodeValue } from '@spider-mesh/core'

/** What an item costs in a batch besides its payload bytes (ids, names, msgpack framing). */
const ITEM_OVERHEAD = 128

/**
 * Cluster messages bound for one subject, gathered while one tick runs and sent as one NATS
 * message `[header, items]`. At 64 calls in flight the 64 requests that arrived in one WebSocket
 * message leave as one NATS message, not 64: every NATS message costs both relays and the NATS
 * server a few µs (measured: bench/README.md). Items are kept as values and encoded once, at
 * flush. `tags` travel with each message (the call ids, for NATS's "no responders" answer).
 */
export class ClusterBatch {
  readonly #header: unknown
  readonly #write: (message: Uint8Array, tags: number[]) => void
  readonly #limitBytes: () => number
  #items: unknown[] = []
  #bytes = 0
  #tags: number[] = []
  #scheduled = false

  /** `limitBytes`: no message grows past this (NATS's max_payload, less room for the subject). */
  constructor(
    header: unknown,
    limitBytes: () => number,
    write: (message: Uint8Array, tags: number[]) => void,
  ) {
    this.#header = header
    this.#limitBytes = limitBytes
    this.#write = write
  }

  /**
   * Queues one item whose payload takes `payloadBytes`; `tag` (a call id) is handed to `write`
   * with the message that carries it.
   */
  add(item: unknown, payloadBytes: number, tag?: number): void {
    const size = payloadBytes + ITEM_OVERHEAD
    if (this.#items.length > 0 && this.#bytes + size > this.#limitBytes()) this.flush()
    this.#items.push(item)
    this.#bytes += size
    if (tag !== undefined) this.#tags.push(tag)
    if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#onMicrotask)
    }
  }

  /** Sends what is queued now. */
  flush(): void {
    if (this.#items.length === 0) return
    const message = encodeValue([this.#header, this.#items])
    const tags = this.#tags
    this.#items = []
    this.#tags = []
    this.#bytes = 0
    this.#write(message, tags)
  }

  readonly #onMicrotask = (): void => {
    this.#scheduled = false
    this.flush()
  }
}
