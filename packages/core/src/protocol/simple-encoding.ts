/**
 * The msgpack bytes of the values most calls carry — an ASCII string of up to 255 characters, an
 * integer of at most 32 bits, a boolean, null, or an array of up to 15 of those (a call's
 * arguments, a method's result) — written by a few lines of JavaScript into an array of exactly
 * their size. Anything else
 * answers undefined and goes to the encoder. Byte for byte what @msgpack/msgpack writes for these
 * values (tested), so the wire is unchanged.
 *
 * Why: a node encodes every call's arguments and every result. With the encoding of the bench's
 * `[payload]` made free, the caller's CPU per call was 0.92x and the serial p50 0.965x
 * (bench/ab/interleave.ts, both start orders): through the library's generic encoder (its type
 * switch, the extension codec's checks, the native string write and `slice`), one small value
 * costs a process that wakes with cold caches far more than its warm figure (~0.1 µs).
 */
export function simpleEncoding(value: unknown): Uint8Array | undefined {
  if (Array.isArray(value)) {
    const n = value.length
    // A plain array only: a subclass may iterate differently from its indices (the encoder iterates).
    if (n > 15 || Object.getPrototypeOf(value) !== Array.prototype) return undefined
    let size = 1
    for (let i = 0; i < n; i++) {
      const s = sizeOf(value[i])
      if (s < 0) return undefined
      size += s
    }
    const out = new Uint8Array(size)
    out[0] = 0x90 | n
    let at = 1
    for (let i = 0; i < n; i++) {
      at = write(out, at, value[i])
      if (at < 0) return undefined
    }
    return out
  }
  const size = sizeOf(value)
  if (size < 0) return undefined
  const out = new Uint8Array(size)
  return write(out, 0, value) < 0 ? undefined : out
}

/** The encoded size of a simple value (a string counted as ASCII), or -1 for any other value. */
function sizeOf(v: unknown): number {
  if (typeof v === 'string') {
    const n = v.length
    // Longer strings go to the encoder, whose native UTF-8 write beats this loop on them.
    return n < 32 ? 1 + n : n < 0x100 ? 2 + n : -1
  }
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < -0x80000000 || v >= 0x100000000) return -1
    if (v >= 0) return v < 0x80 ? 1 : v < 0x100 ? 2 : v < 0x10000 ? 3 : 5
    return v >= -0x20 ? 1 : v >= -0x80 ? 2 : v >= -0x8000 ? 3 : 5
  }
  return v === null || typeof v === 'boolean' ? 1 : -1
}

/**
 * Writes a value sizeOf accepted at `at`; answers the next offset, or -1 for a string that is not
 * ASCII. The string and integer writes are inline here, not raw-writes.ts writeAscii/writeUint
 * (the same bytes): through them the serial p50 read 1.044x, 1.033x and 1.026x in three
 * interleaved A/B runs (both start orders), inline 0.999x — this runs for every call at both ends.
 */
function write(out: Uint8Array, at: number, v: unknown): number {
  if (typeof v === 'string') {
    const n = v.length
    if (n < 32) out[at++] = 0xa0 | n
    else {
      out[at++] = 0xd9
      out[at++] = n
    }
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i)
      if (c > 0x7f) return -1
      out[at + i] = c
    }
    return at + n
  }
  if (typeof v === 'number') return writeInt(out, at, v)
  out[at] = v === null ? 0xc0 : v === false ? 0xc2 : 0xc3
  return at + 1
}

/** An integer of at most 32 bits in the smallest msgpack int format, as the encoder picks it. */
function writeInt(out: Uint8Array, at: number, v: number): number {
  if (v >= 0) {
    if (v < 0x80) {
      out[at] = v
      return at + 1
    }
    if (v < 0x100) {
      out[at] = 0xcc
      out[at + 1] = v
      return at + 2
    }
    if (v < 0x10000) {
      out[at] = 0xcd
      out[at + 1] = v >>> 8
      out[at + 2] = v & 0xff
      return at + 3
    }
    out[at] = 0xce
    out[at + 1] = v >>> 24
    out[at + 2] = (v >>> 16) & 0xff
    out[at + 3] = (v >>> 8) & 0xff
    out[at + 4] = v & 0xff
    return at + 5
  }
  if (v >= -0x20) {
    out[at] = v & 0xff
    return at + 1
  }
  if (v >= -0x80) {
    out[at] = 0xd0
    out[at + 1] = v & 0xff
    return at + 2
  }
  if (v >= -0x8000) {
    out[at] = 0xd1
    out[at + 1] = (v >> 8) & 0xff
    out[at + 2] = v & 0xff
    return at + 3
  }
  out[at] = 0xd2
  out[at + 1] = (v >> 24) & 0xff
  out[at + 2] = (v >> 16) & 0xff
  out[at + 3] = (v >> 8) & 0xff
  out[at + 4] = v & 0xff
  return at + 5
}
