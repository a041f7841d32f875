import { setU16, setU32 } from './big-endian.js'

/*
 * The msgpack elements the frame batch writes by hand (FrameBatch.addRequest, addResponse and the
 * relay's raw writers): the same bytes the encoder writes for them, without building a frame.
 */

/** Writes `n` (a non-negative safe integer) as the smallest msgpack uint; answers the next offset. */
export function writeUint(buffer: Uint8Array, at: number, n: number): number {
  if (n < 0x80) {
    buffer[at] = n
    return at + 1
  }
  if (n < 0x100) {
    buffer[at] = 0xcc
    buffer[at + 1] = n
    return at + 2
  }
  if (n < 0x10000) {
    buffer[at] = 0xcd
    setU16(buffer, at + 1, n)
    return at + 3
  }
  if (n < 0x100000000) {
    buffer[at] = 0xce
    setU32(buffer, at + 1, n)
    return at + 5
  }
  buffer[at] = 0xcf
  setU32(buffer, at + 1, Math.floor(n / 0x100000000))
  setU32(buffer, at + 5, n >>> 0)
  return at + 9
}

/** Whether `id` is one writeUint writes (a non-negative safe integer), as every mesh id is. */
export function plainId(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 0
}

/**
 * Writes `text` as a msgpack str when it is all ASCII (then its length is its byte length), as
 * the encoder would (fixstr, str8, str16); answers the next offset, or -1 for any other text.
 */
export function writeAscii(buffer: Uint8Array, at: number, text: string): number {
  const n = text.length
  if (n >= 0x10000) return -1
  const start = at + (n < 32 ? 1 : n < 0x100 ? 2 : 3)
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c > 0x7f) return -1
    buffer[start + i] = c
  }
  if (n < 32) buffer[at] = 0xa0 + n
  else if (n < 0x100) {
    buffer[at] = 0xd9
    buffer[at + 1] = n
  } else {
    buffer[at] = 0xda
    setU16(buffer, at + 1, n)
  }
  return start + n
}

/** Writes `bytes` as a msgpack bin (bin8, bin16 or bin32, as the encoder does); answers the next offset. */
export function writeBin(buffer: Uint8Array, at: number, bytes: Uint8Array): number {
  const n = bytes.byteLength
  if (n < 0x100) {
    buffer[at] = 0xc4
    buffer[at + 1] = n
    at += 2
  } else if (n < 0x10000) {
    buffer[at] = 0xc5
    setU16(buffer, at + 1, n)
    at += 3
  } else {
    buffer[at] = 0xc6
    setU32(buffer, at + 1, n)
    at += 5
  }
  if (n > 512) buffer.set(bytes, at)
  else for (let i = 0; i < n; i++) buffer[at + i] = bytes[i]!
  return at + n
}

/** Ranges up to this many bytes are copied byte by byte (copyRange), not through a view. */
export const COPY_UP_TO = 512

/**
 * Copies `src[start, end)` to `at`; answers the next offset. Short ranges are copied byte by
 * byte: a subarray of a message the runtime made would first allocate its ArrayBuffer (JSC),
 * which costs more than copying a few hundred bytes.
 */
export function copyRange(
  buffer: Uint8Array,
  at: number,
  src: Uint8Array,
  start: number,
  end: number,
): number {
  const length = end - start
  if (length > COPY_UP_TO) buffer.set(src.subarray(start, end), at)
  else for (let i = 0; i < length; i++) buffer[at + i] = src[start + i]!
  return at + length
}
