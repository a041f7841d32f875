import type { RawRequestRanges } from './frame-batch.js'
import { FrameType } from './frames.js'
import { COPY_UP_TO, copyRange } from './raw-writes.js'
import { decodeUtf8 } from './utf8-strings.js'

/**
 * The two frames that are nearly all of a relay's traffic, read straight from the bytes:
 * `[Response, id, kind, payload]` and the plain six-field `[Request, id, service, method, node,
 * payload]`. The relay re-heads them (FrameBatch.addResponseRaw / addRequestRaw) and copies the
 * payload bytes, so a forwarded call builds no frame array, no payload view and no encoding.
 * `perf` of a relay at one call in flight put half its JavaScript time in the generic msgpack
 * decode and encode of these frames (issue 14).
 *
 * Anything else, and anything unusual in these (a 64-bit id, a Request with options, a wrong
 * type, a truncated frame), is left to the generic decoder, which validates it and names what is wrong: this reader
 * only ever accepts what that decoder would accept as the same frame. It lives beside the frames
 * and the batch's raw writers; the relay (ws) uses it.
 */
export interface RawFrame extends RawRequestRanges {
  /** `FrameType.Request` or `FrameType.Response`. */
  type: number
  id: number
  /** Response: its kind. */
  kind: number
  /** Request: the service and method (their encodings lie in `namesStart`…`namesEnd`). */
  service: string
  method: string
  /** Request: the pinned destination node, or null. */
  destination: string | null
  /** Where the payload's bytes start (after its bin header), or -1 for a nil payload. */
  contentStart: number
  // payloadStart: the payload element (header included): bin, or nil for a Response; end: where
  // the frame, and so the payload element, ends.
}

/** A RawFrame to fill (one per reader: nothing is allocated per frame). */
export function rawFrame(): RawFrame {
  return {
    type: 0,
    id: 0,
    kind: 0,
    service: '',
    method: '',
    namesStart: 0,
    namesEnd: 0,
    destination: null,
    contentStart: -1,
    payloadStart: 0,
    end: 0,
  }
}

// Where the last read element ended, its value, and where a bin's bytes start (-1: nil):
// module state, so the readers allocate nothing. The few formats these frames use are read here
// inline, not through the fast decoder's width table and length reads (fast-decoder.ts): that
// version cost 4-5% of a serial call's p50 (bench/ab/interleave.ts, 30 x 2,000 calls, twice;
// ~3 ns a frame warm), this relay's hottest path.
let next = 0
let value = 0
let content = -1

/** Reads a msgpack uint of at most 32 bits at `pos` into `value`/`next`; false if it is not one. */
function readUint(bytes: Uint8Array, pos: number): boolean {
  const head = bytes[pos]
  if (head === undefined) return false
  if (head < 0x80) {
    value = head
    next = pos + 1
    return true
  }
  if (head === 0xcc && pos + 2 <= bytes.length) {
    value = bytes[pos + 1]!
    next = pos + 2
    return true
  }
  if (head === 0xcd && pos + 3 <= bytes.length) {
    value = (bytes[pos + 1]! << 8) | bytes[pos + 2]!
    next = pos + 3
    return true
  }
  if (head === 0xce && pos + 5 <= bytes.length) {
    value =
      ((bytes[pos + 1]! << 24) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 8) | bytes[pos + 4]!) >>> 0
    next = pos + 5
    return true
  }
  return false
}

/** Reads a msgpack str header at `pos`: `value` is its byte length, `next` its first byte. */
function readStrHeader(bytes: Uint8Array, pos: number): boolean {
  const head = bytes[pos]
  if (head === undefined) return false
  if (head >= 0xa0 && head <= 0xbf) {
    value = head - 0xa0
    next = pos + 1
  } else if (head === 0xd9 && pos + 2 <= bytes.length) {
    value = bytes[pos + 1]!
    next = pos + 2
  } else if (head === 0xda && pos + 3 <= bytes.length) {
    value = (bytes[pos + 1]! << 8) | bytes[pos + 2]!
    next = pos + 3
  } else return false
  return next + value <= bytes.length
}

/** Reads a msgpack bin (or nil, when `nilOk`) at `pos`: `next` is where it ends, `content` where its bytes start. */
function skipBin(bytes: Uint8Array, pos: number, nilOk: boolean): boolean {
  const head = bytes[pos]
  let start: number
  let length: number
  if (head === 0xc0 && nilOk) {
    next = pos + 1
    content = -1
    return true
  }
  if (head === 0xc4 && pos + 2 <= bytes.length) {
    length = bytes[pos + 1]!
    start = pos + 2
  } else if (head === 0xc5 && pos + 3 <= bytes.length) {
    length = (bytes[pos + 1]! << 8) | bytes[pos + 2]!
    start = pos + 3
  } else if (head === 0xc6 && pos + 5 <= bytes.length) {
    length =
      ((bytes[pos + 1]! << 24) | (bytes[pos + 2]! << 16) | (bytes[pos + 3]! << 8) | bytes[pos + 4]!) >>> 0
    start = pos + 5
  } else return false
  content = start
  next = start + length
  return next <= bytes.length
}

/**
 * Reads the frame at `pos` into `out` if it is a Response or a plain Request this reader takes
 * (see above); false leaves the frame to the generic decoder.
 */
export function readRawFrame(bytes: Uint8Array, pos: number, out: RawFrame): boolean {
  const head = bytes[pos]
  const type = bytes[pos + 1]
  if (head === 0x94 && type === FrameType.Response) {
    if (!readUint(bytes, pos + 2)) return false
    const id = value
    const kind = bytes[next]
    // Kinds are 0 to 4 (ResponseKind); anything else is the generic decoder's error to name.
    if (kind === undefined || kind > 4) return false
    const payloadStart = next + 1
    if (!skipBin(bytes, payloadStart, true)) return false
    out.type = FrameType.Response
    out.id = id
    out.kind = kind
    out.contentStart = content
    out.payloadStart = payloadStart
    out.end = next
    return true
  }
  if (head === 0x96 && type === FrameType.Request) {
    if (!readUint(bytes, pos + 2)) return false
    const id = value
    const namesStart = next
    if (!readStrHeader(bytes, namesStart)) return false
    const service = decodeUtf8(bytes, next, value)
    if (!readStrHeader(bytes, next + value)) return false
    const method = decodeUtf8(bytes, next, value)
    const namesEnd = next + value
    let destination: string | null = null
    if (bytes[namesEnd] === 0xc0) next = namesEnd + 1
    else if (readStrHeader(bytes, namesEnd)) {
      destination = decodeUtf8(bytes, next, value)
      next += value
    } else return false
    const payloadStart = next
    if (!skipBin(bytes, payloadStart, false)) return false
    out.type = FrameType.Request
    out.id = id
    out.service = service
    out.method = method
    out.namesStart = namesStart
    out.namesEnd = namesEnd
    out.destination = destination
    out.contentStart = content
    out.payloadStart = payloadStart
    out.end = next
    return true
  }
  return false
}

/**
 * The payload of a frame read into `raw`, or null for nil: bytes of its own when short (copyRange
 * copies them), a view of `bytes` past that. A node hands each payload on to be decoded, and a
 * view of a message the runtime made first has JSC make that message's ArrayBuffer, which costs
 * more than copying a few hundred bytes: copying instead was 0.97x the serial p50 and 0.94x the
 * provider's CPU per call (bench/ab/interleave.ts, both start orders, two runs).
 */
export function binContent(bytes: Uint8Array, raw: RawFrame): Uint8Array | null {
  const start = raw.contentStart
  if (start < 0) return null
  const length = raw.end - start
  if (length > COPY_UP_TO) return bytes.subarray(start, raw.end)
  const copy = new Uint8Array(length)
  copyRange(copy, 0, bytes, start, raw.end)
  return copy
}
