/**
 * Big-endian reads and writes straight on a byte array, for the decoder (bounded-decoder.ts),
 * the encoder (fast-encoder.ts) and the frame batch's raw writers.
 *
 * @msgpack/msgpack reads through a `DataView` it makes for every buffer it decodes. Making one
 * needs the array's `.buffer`, and under Bun (JavaScriptCore) the first `.buffer` of a typed
 * array the runtime made (every WebSocket message) allocates an `ArrayBuffer` object for it: a
 * `perf` profile of the relay put ~3 µs of CPU per forwarded call in that native path (issue
 * 14). These reads need neither. The rare wide values (64-bit integers, floats) are copied into
 * one scratch view instead.
 */

/** Thrown for a read past the end: the same error @msgpack/msgpack throws for truncated input. */
function insufficient(): RangeError {
  return new RangeError('Insufficient data')
}

/** Fails unless `size` bytes can be read at `pos`. */
export function need(bytes: Uint8Array, pos: number, size: number): void {
  if (pos + size > bytes.length) throw insufficient()
}

export function u8(bytes: Uint8Array, pos: number): number {
  need(bytes, pos, 1)
  return bytes[pos]!
}

export function i8(bytes: Uint8Array, pos: number): number {
  return (u8(bytes, pos) << 24) >> 24
}

export function u16(bytes: Uint8Array, pos: number): number {
  need(bytes, pos, 2)
  return be16(bytes, pos)
}

/** u16 for a caller that checked the bytes are there (the fast decoder, the relay's raw frames). */
export function be16(bytes: Uint8Array, pos: number): number {
  return (bytes[pos]! << 8) | bytes[pos + 1]!
}

export function i16(bytes: Uint8Array, pos: number): number {
  return (u16(bytes, pos) << 16) >> 16
}

export function i32(bytes: Uint8Array, pos: number): number {
  need(bytes, pos, 4)
  return be32(bytes, pos) | 0
}

export function u32(bytes: Uint8Array, pos: number): number {
  need(bytes, pos, 4)
  return be32(bytes, pos)
}

/** u32 for a caller that checked the bytes are there (see be16). */
export function be32(bytes: Uint8Array, pos: number): number {
  return ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0
}

export function setU16(bytes: Uint8Array, pos: number, value: number): void {
  bytes[pos] = value >>> 8
  bytes[pos + 1] = value
}

export function setU32(bytes: Uint8Array, pos: number, value: number): void {
  bytes[pos] = value >>> 24
  bytes[pos + 1] = value >>> 16
  bytes[pos + 2] = value >>> 8
  bytes[pos + 3] = value
}

/**
 * One 8-byte view for the rare wide values (floats, 64-bit integers): written or read with the
 * same DataView calls as @msgpack/msgpack's, then copied, so no buffer needs a view of its own.
 */
export const scratch = new DataView(new ArrayBuffer(8))
const scratchBytes = new Uint8Array(scratch.buffer)

/** The `size` bytes at `pos`, copied to offset 0 of `scratch` (valid until the next call). */
function wide(bytes: Uint8Array, pos: number, size: 4 | 8): DataView {
  need(bytes, pos, size)
  for (let i = 0; i < size; i++) scratchBytes[i] = bytes[pos + i]!
  return scratch
}

/** Copies the first `size` bytes of `scratch` to `bytes` at `pos` (the caller made room). */
export function fromScratch(bytes: Uint8Array, pos: number, size: number): void {
  for (let i = 0; i < size; i++) bytes[pos + i] = scratchBytes[i]!
}

/** A uint64 as @msgpack/msgpack reads it without BigInt: exact up to 2^53. */
export function u64(bytes: Uint8Array, pos: number): number {
  const view = wide(bytes, pos, 8)
  return view.getUint32(0) * 4294967296 + view.getUint32(4)
}

/** An int64 as @msgpack/msgpack reads it without BigInt. */
export function i64(bytes: Uint8Array, pos: number): number {
  const view = wide(bytes, pos, 8)
  return view.getInt32(0) * 4294967296 + view.getUint32(4)
}

export function f32(bytes: Uint8Array, pos: number): number {
  return wide(bytes, pos, 4).getFloat32(0)
}

export function f64(bytes: Uint8Array, pos: number): number {
  return wide(bytes, pos, 8).getFloat64(0)
}
