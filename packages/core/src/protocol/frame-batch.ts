import { FastEncoder } from './fast-encoder.js'
import { type Frame, FrameType } from './frames.js'
import { copyRange, plainId, writeAscii, writeBin, writeUint } from './raw-writes.js'

// Its own encoder, which writes each frame straight into the batch's buffer (encodeInto).
const encoder = new FastEncoder()

const EMPTY_BUFFER = new Uint8Array(0)
/** Room made before encoding a frame in place, so a small one never has the encoder resize. */
const FRAME_ROOM = 64
/**
 * The first buffer of a batch. Small on purpose: the buffer is kept for the life of the socket,
 * and most sockets of a relay are idle ones that were sent a Welcome and pings (a 4 KiB floor
 * was 4 KiB of every idle connection). Busy sockets grow theirs by doubling once, then keep it.
 */
const MIN_BUFFER_BYTES = 256

/**
 * Where the parts of a plain Request lie in the bytes it arrived in: its service and method
 * (contiguous, encoded) and its payload element up to the frame's end (the relay's RawFrame).
 */
export interface RawRequestRanges {
  namesStart: number
  namesEnd: number
  payloadStart: number
  end: number
}

/** Options of {@link FrameBatch}. */
export interface FrameBatchOptions {
  /**
   * A batch is written as soon as it holds this many bytes, and a frame that would push it past
   * this goes out in the next message: several frames never add up to more than this, so
   * coalescing cannot turn frames the peer accepts into a message it refuses. Default 256 KiB.
   */
  flushAtBytes?: number
  /**
   * `write` copies what it is given before it returns: it then gets a view of the batch's own
   * buffer, which the next frames overwrite, instead of a fresh copy per message. Default false.
   */
  writeCopies?: boolean
}

/**
 * The batches given frames during the current turn (see {@link FrameBatch.beginTurn}); `inTurn`
 * is false outside one. Module-wide: a turn covers every socket the handler of one message writes to.
 */
const turnBatches: FrameBatch[] = []
let inTurn = false
/**
 * The batches given frames outside a turn since the microtask that writes them was queued: one
 * microtask and one function for all of them, where a function per batch was one more closure
 * kept by every connection (the relay's idle-connection memory, issue 14).
 */
const microtaskBatches: FrameBatch[] = []
let microtaskQueued = false

/**
 * Buffers of the first size ({@link MIN_BUFFER_BYTES}) between uses: a batch takes one when it
 * is given a frame and gives it back once written, so an idle socket (sent only a Welcome and
 * pings) holds no buffer of its own. A batch whose frames outgrew the first size keeps its
 * grown buffer, as a busy socket should. Bounded: past it, given-back buffers are left to the GC.
 */
const spareBuffers: Uint8Array[] = []
const MAX_SPARE_BUFFERS = 64

/**
 * Frames waiting to go out on one socket, encoded back to back into one growing buffer. The first
 * frame queued schedules a write when the microtask queue drains, so every frame produced in the
 * same tick leaves in one WebSocket message: N frames cost one socket write. Inside a turn (the
 * handling of one received message) they are written when the turn ends instead.
 */
export class FrameBatch {
  readonly #write: (message: Uint8Array) => void
  #flushAt: number
  // Allocated on first use: an idle connection should cost the relay as little as possible.
  #buffer: Uint8Array = EMPTY_BUFFER
  #length = 0
  #scheduled = false
  readonly #writeCopies: boolean
  /** The last view written (writeCopies), and the buffer it views. */
  #lastView: Uint8Array | undefined
  #lastViewOf: Uint8Array | undefined

  /** `write` receives each message (a fresh copy, since sockets may queue it, unless `writeCopies`). */
  constructor(write: (message: Uint8Array) => void, options: FrameBatchOptions = {}) {
    this.#write = write
    this.#flushAt = options.flushAtBytes ?? 256 * 1024
    this.#writeCopies = options.writeCopies ?? false
  }

  /** Keeps coalesced messages within what the peer accepts (its announced maxPayloadBytes). */
  fitPeerLimit(peerMaxBytes: number): void {
    this.#flushAt = Math.min(this.#flushAt, peerMaxBytes)
  }

  /** Queues one frame, encoded straight into the batch. */
  add(frame: Frame): void {
    const start = this.#length
    if (this.#buffer.byteLength - start < FRAME_ROOM) this.#grow(start + FRAME_ROOM)
    const end = encoder.encodeInto(frame, this.#buffer, start)
    this.#buffer = encoder.written
    if (start > 0 && end > this.#flushAt) {
      // It would take the message past the flush size: what came before leaves first, and the
      // frame starts the next one (rare: a copy is fine here).
      const bytes = this.#buffer.slice(start, end)
      this.#length = start
      this.flush()
      this.addBytes(bytes)
      return
    }
    this.#length = end
    this.#queued()
  }

  /** Queues one already-encoded frame. */
  addBytes(bytes: Uint8Array): void {
    const at = this.#reserve(bytes.byteLength)
    this.#buffer.set(bytes, at)
    this.#queued()
  }

  /**
   * Queues `[Response, id, kind, payload]` (payload null: nil), written straight into the batch:
   * no frame array and no generic encoding, byte for byte what {@link add} writes. A node answers
   * every call it serves through here, so at one call in flight it is on the path of every call.
   */
  addResponse(id: number, kind: number, payload: Uint8Array | null): void {
    if (!plainId(id) || !(kind >= 0 && kind < 0x80 && Number.isInteger(kind))) {
      this.add([FrameType.Response, id, kind, payload] as Frame)
      return
    }
    // Header (2), id (at most 9), kind (1), bin header (5): an upper bound.
    let at = this.#reserve(17 + (payload === null ? 0 : payload.byteLength))
    const buffer = this.#buffer
    buffer[at++] = 0x94
    buffer[at++] = FrameType.Response
    at = writeUint(buffer, at, id)
    buffer[at++] = kind
    if (payload === null) {
      buffer[at] = 0xc0
      this.#length = at + 1
    } else this.#length = writeBin(buffer, at, payload)
    this.#queued()
  }

  /**
   * Queues `[Request, id, service, method, node, payload]` (node null: nil) written straight into
   * the batch, as {@link addResponse} does: a caller's every call goes through here. Names that
   * are not all ASCII (rare) take the generic encoder; the bytes are the same either way.
   */
  addRequest(id: number, service: string, method: string, node: string | null, payload: Uint8Array): void {
    if (plainId(id)) {
      const names = service.length + method.length + (node === null ? 0 : node.length)
      // Header (2), id (at most 9), three str headers (3 each), bin header (5): an upper bound.
      const begin = this.#reserve(25 + names + payload.byteLength)
      let at = begin
      const buffer = this.#buffer
      buffer[at++] = 0x96
      buffer[at++] = FrameType.Request
      at = writeUint(buffer, at, id)
      at = writeAscii(buffer, at, service)
      if (at >= 0) at = writeAscii(buffer, at, method)
      if (at >= 0 && node === null) buffer[at++] = 0xc0
      else if (at >= 0) at = writeAscii(buffer, at, node!)
      if (at >= 0) {
        this.#length = writeBin(buffer, at, payload)
        this.#queued()
        return
      }
      // Give the reservation back (a flush it made has already written what came before).
      this.#length = begin
    }
    this.add([FrameType.Request, id, service, method, node, payload] as Frame)
  }

  /**
   * Queues `[Response, id, kind, payload]` where `src[start, end)` is the payload element as it
   * arrived (msgpack bin or nil, header included): the relay re-heads a response without
   * decoding or re-encoding it (the relay's raw-frames.ts).
   */
  addResponseRaw(id: number, kind: number, src: Uint8Array, start: number, end: number): void {
    let at = this.#reserve(12 + end - start)
    const buffer = this.#buffer
    buffer[at++] = 0x94
    buffer[at++] = 7
    at = writeUint(buffer, at, id)
    buffer[at++] = kind
    this.#length = copyRange(buffer, at, src, start, end)
    this.#queued()
  }

  /**
   * Queues `[Request, id, service, method, source, payload]` from the raw elements of a request
   * that arrived in `src` (where `at` says they lie) and the encoded `source` node.
   */
  addRequestRaw(id: number, src: Uint8Array, at: RawRequestRanges, source: Uint8Array): void {
    const { namesStart, namesEnd, payloadStart, end } = at
    // Header (2), id (at most 9), then the parts: an upper bound, the exact end is set below.
    let pos = this.#reserve(11 + namesEnd - namesStart + source.byteLength + end - payloadStart)
    const buffer = this.#buffer
    buffer[pos++] = 0x96
    buffer[pos++] = 6
    pos = writeUint(buffer, pos, id)
    pos = copyRange(buffer, pos, src, namesStart, namesEnd)
    pos = copyRange(buffer, pos, source, 0, source.byteLength)
    this.#length = copyRange(buffer, pos, src, payloadStart, end)
    this.#queued()
  }

  /**
   * Makes room for up to `size` more bytes (flushing first when they would not fit under the
   * flush size) and answers where they go. Callers that know the exact size set `#length` to it
   * through #queued; the raw writers set `#length` themselves.
   */
  #reserve(size: number): number {
    if (this.#length > 0 && this.#length + size > this.#flushAt) this.flush()
    const needed = this.#length + size
    if (needed > this.#buffer.byteLength) this.#grow(needed)
    const at = this.#length
    this.#length = needed
    return at
  }

  /** A buffer of at least `needed` bytes (doubling), holding what is queued. */
  #grow(needed: number): void {
    const old = this.#buffer
    if (old === EMPTY_BUFFER && needed <= MIN_BUFFER_BYTES) {
      this.#buffer = spareBuffers.pop() ?? new Uint8Array(MIN_BUFFER_BYTES)
      return
    }
    const grown = new Uint8Array(Math.max(needed, old.byteLength * 2, MIN_BUFFER_BYTES))
    grown.set(old.subarray(0, this.#length))
    this.#buffer = grown
  }

  /** After a frame was written: a full batch goes now, else the first frame schedules the write. */
  #queued(): void {
    if (this.#length >= this.#flushAt) this.flush()
    else if (!this.#scheduled) {
      this.#scheduled = true
      if (inTurn) turnBatches.push(this)
      else {
        microtaskBatches.push(this)
        if (!microtaskQueued) {
          microtaskQueued = true
          queueMicrotask(FrameBatch.#flushQueued)
        }
      }
    }
  }

  /**
   * Starts a turn: frames queued until {@link endTurn} are written when it runs, synchronously,
   * instead of from a microtask. A relay or a node handles each received message in a turn: what
   * it answers leaves before the message callback returns, as a byte-forwarding relay's `send`
   * does, without a microtask (a second entry into JavaScript) per message at one call in flight;
   * every frame of the message still leaves in one write per socket. Returns false (and changes
   * nothing) inside a turn already: only the outermost `beginTurn` may end it.
   */
  static beginTurn(): boolean {
    if (inTurn) return false
    inTurn = true
    return true
  }

  /** Ends the turn: writes what each batch given frames during it holds (see {@link beginTurn}). */
  static endTurn(): void {
    inTurn = false
    // By index, re-reading the length: nothing joins the list outside a turn, but a write could
    // (in theory) start and end a nested one, whose batches are flushed there and here harmlessly.
    FrameBatch.#flushAll(turnBatches)
  }

  /**
   * The microtask that writes the batches given frames outside a turn (see #queued). A write may
   * queue frames for a batch already written here: it joins the list again and is written in the
   * same loop (the length is re-read), as a microtask of its own would have written it.
   */
  static #flushQueued(): void {
    microtaskQueued = false
    FrameBatch.#flushAll(microtaskBatches)
  }

  /**
   * Writes every batch of `list` and empties it. A write that throws must not leave the other
   * batches (or itself) scheduled forever: every batch is flushed and the list emptied, then the
   * first error is thrown on.
   */
  static #flushAll(list: FrameBatch[]): void {
    let failure: { error: unknown } | undefined
    for (let i = 0; i < list.length; i++) {
      const batch = list[i]!
      batch.#scheduled = false
      try {
        batch.flush()
      } catch (error) {
        failure ??= { error }
      }
    }
    list.length = 0
    if (failure) throw failure.error
  }

  /** Writes what is waiting now, as one message. */
  flush(): void {
    const length = this.#length
    if (length === 0) return
    const buffer = this.#buffer
    const message = this.#writeCopies ? this.#viewOf(buffer, length) : buffer.slice(0, length)
    this.#length = 0
    this.#write(message)
    // What the batch keeps once written (`message` may be a view of it, which the write copies):
    // nothing when its buffer is the first size (given back to the spares) or grew past 1 MiB for
    // one huge payload (dropped, with the view of it); its grown buffer otherwise. A write that
    // queued frames into this batch again keeps the buffer they are in.
    if (this.#buffer !== buffer || this.#length !== 0) return
    if (buffer.byteLength === MIN_BUFFER_BYTES) {
      this.#buffer = EMPTY_BUFFER
      if (spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(buffer)
    } else if (buffer.byteLength > 1 << 20) {
      this.#buffer = EMPTY_BUFFER
      this.#lastView = this.#lastViewOf = undefined
    }
  }

  /**
   * The first `length` bytes of `buffer` as a view, the last one again when it fits: one call at
   * a time writes messages of the same length over and over, and a view is a native allocation
   * per message (only for `writeCopies`, whose `write` keeps nothing of what it is given).
   */
  #viewOf(buffer: Uint8Array, length: number): Uint8Array {
    const last = this.#lastView
    if (last !== undefined && last.length === length && this.#lastViewOf === buffer) return last
    const view = buffer.subarray(0, length)
    this.#lastView = view
    this.#lastViewOf = buffer
    return view
  }

  /** Drops what is waiting (the socket it was meant for is gone). */
  clear(): void {
    this.#length = 0
  }
}
