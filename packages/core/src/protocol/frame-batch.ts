import { Encoder } from '@msgpack/msgpack'
import type { Frame } from './frames.js'

// Its own encoder: encodeSharedRef's buffer is reused, and is copied into the batch at once.
const encoder = new Encoder()

const EMPTY_BUFFER = new Uint8Array(0)
/**
 * The first buffer of a batch. Small on purpose: the buffer is kept for the life of the socket,
 * and most sockets of a relay are idle ones that were sent a Welcome and pings (a 4 KiB floor
 * was 4 KiB of every idle connection). Busy sockets grow theirs by doubling once, then keep it.
 */
const MIN_BUFFER_BYTES = 256

/** Options of {@link FrameBatch}. */
export interface FrameBatchOptions {
  /**
   * A batch is written as soon as it holds this many bytes, and a frame that would push it past
   * this goes out in the next message: several frames never add up to more than this, so
   * coalescing cannot turn frames the peer accepts into a message it refuses. Default 256 KiB.
   */
  flushAtBytes?: number
}

/**
 * Frames waiting to go out on one socket, encoded back to back into one growing buffer. The first
 * frame queued schedules a write when the microtask queue drains, so every frame produced in the
 * same tick leaves in one WebSocket message: N frames cost one socket write.
 */
export class FrameBatch {
  readonly #write: (message: Uint8Array) => void
  #flushAt: number
  // Allocated on first use: an idle connection should cost the relay as little as possible.
  #buffer = EMPTY_BUFFER
  #length = 0
  #scheduled = false

  /** `write` receives each message (a fresh copy: sockets may queue it). */
  constructor(write: (message: Uint8Array) => void, options: FrameBatchOptions = {}) {
    this.#write = write
    this.#flushAt = options.flushAtBytes ?? 256 * 1024
  }

  /** Keeps coalesced messages within what the peer accepts (its announced maxPayloadBytes). */
  fitPeerLimit(peerMaxBytes: number): void {
    this.#flushAt = Math.min(this.#flushAt, peerMaxBytes)
  }

  /** Queues one frame. */
  add(frame: Frame): void {
    this.addBytes(encoder.encodeSharedRef(frame))
  }

  /** Queues one already-encoded frame. */
  addBytes(bytes: Uint8Array): void {
    if (this.#length > 0 && this.#length + bytes.byteLength > this.#flushAt) this.flush()
    const needed = this.#length + bytes.byteLength
    if (needed > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.byteLength * 2, MIN_BUFFER_BYTES))
      grown.set(this.#buffer.subarray(0, this.#length))
      this.#buffer = grown
    }
    this.#buffer.set(bytes, this.#length)
    this.#length = needed
    if (this.#length >= this.#flushAt) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(this.#onMicrotask)
    }
  }

  /** Writes what is waiting now, as one message. */
  flush(): void {
    if (this.#length === 0) return
    const message = this.#buffer.slice(0, this.#length)
    this.#length = 0
    // Do not keep a buffer grown by one huge payload for the life of the connection.
    if (this.#buffer.byteLength > 1 << 20) this.#buffer = EMPTY_BUFFER
    this.#write(message)
  }

  /** Drops what is waiting (the socket it was meant for is gone). */
  clear(): void {
    this.#length = 0
  }

  readonly #onMicrotask = (): void => {
    this.#scheduled = false
    this.flush()
  }
}
