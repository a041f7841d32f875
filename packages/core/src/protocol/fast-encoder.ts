import { Encoder, type EncoderOptions } from '@msgpack/msgpack'
import { fromScratch, scratch, setU16, setU32 } from './big-endian.js'
import { nativeUtf8Write, utf8Length } from './native-utf8.js'
import { writeAscii } from './raw-writes.js'

/**
 * @msgpack/msgpack's Encoder with faster strings, no DataView, and `encodeInto` (writing into a
 * buffer it is given, for the frame batches); byte for byte the same output.
 *
 * The library counts a string's UTF-8 bytes in one JavaScript pass and writes them in another
 * (or through TextEncoder and a subarray past 50 characters): 238 ns for a 100-character string
 * and 159 ns for 40 characters in a Bun microbench, where the whole call around it costs little
 * more. Here:
 * - ASCII strings (nearly every name, key and many values) are written in one pass that also
 *   checks them; the first other character hands the string back to the library.
 * - Past 50 characters, where the library itself switches to TextEncoder, Node's and Bun's
 *   native `Buffer.byteLength` and `utf8Write` write it without a subarray (98 ns for 100
 *   characters). Browsers and React Native, which have no Buffer, keep the library's path.
 *
 * `ensureBufferSizeToWrite`, `resizeBuffer`, the `write…` members, `writeStringHeader`, `bytes`
 * and `pos` are private in the typings but stable across @msgpack/msgpack 3.x (like the
 * decoder's, see bounded-decoder.ts).
 */
const EncoderBase = Encoder as unknown as new (
  options?: EncoderOptions,
) => {
  bytes: Uint8Array
  pos: number
  entered: boolean
  ensureBufferSizeToWrite(size: number): void
  writeStringHeader(byteLength: number): void
  encodeString(value: string): void
  encode(value: unknown): Uint8Array
  encodeSharedRef(value: unknown): Uint8Array
  doEncode(value: unknown, depth: number): void
  encodeExtension(ext: { type: number; data: Uint8Array }): void
}

/** Where the library switches to TextEncoder; the native path starts there too (same bytes). */
const NATIVE_FROM = 51

/** An Encoder whose strings take the fast paths above, and which can write into a given buffer. */
export class FastEncoder extends EncoderBase {
  /** The buffer the last encodeInto wrote: the one it was given, or a larger copy of it. */
  written: Uint8Array = new Uint8Array(0)

  /**
   * Encodes `value` into `bytes` from `at` (no copy, no view of the result): answers where it
   * ends. A value that does not fit grows the buffer: `written` is then the new one, with what
   * was before `at` kept. The frame batches use it; the library's `encode` and
   * `encodeSharedRef` each cost a view or a copy per frame on top.
   */
  encodeInto(value: unknown, bytes: Uint8Array, at: number): number {
    if (this.entered) {
      const other = this.clone()
      const end = other.encodeInto(value, bytes, at)
      this.written = other.written
      return end
    }
    const own = this.bytes
    this.entered = true
    this.bytes = bytes
    this.pos = at
    try {
      this.doEncode(value, 1)
      this.written = this.bytes
      return this.pos
    } finally {
      // The buffer written is not the encoder's to keep: its own serves encode() again.
      this.bytes = own
      this.entered = false
    }
  }

  // No DataView: writes go to the bytes (a view per buffer would cost every batch an ArrayBuffer
  // object, which showed in the relay's memory per idle connection).
  override ensureBufferSizeToWrite(size: number): void {
    const required = this.pos + size
    if (this.bytes.byteLength < required) this.resizeBuffer(required * 2)
  }

  resizeBuffer(size: number): void {
    const grown = new Uint8Array(size)
    grown.set(this.bytes)
    this.bytes = grown
  }

  writeU8(value: number): void {
    this.ensureBufferSizeToWrite(1)
    this.bytes[this.pos++] = value
  }

  writeI8(value: number): void {
    this.writeU8(value & 0xff)
  }

  writeU16(value: number): void {
    this.ensureBufferSizeToWrite(2)
    setU16(this.bytes, this.pos, value)
    this.pos += 2
  }

  writeI16(value: number): void {
    this.writeU16(value & 0xffff)
  }

  writeU32(value: number): void {
    this.ensureBufferSizeToWrite(4)
    setU32(this.bytes, this.pos, value)
    this.pos += 4
  }

  writeI32(value: number): void {
    this.writeU32(value >>> 0)
  }

  writeF32(value: number): void {
    scratch.setFloat32(0, value)
    this.#scratch(4)
  }

  writeF64(value: number): void {
    scratch.setFloat64(0, value)
    this.#scratch(8)
  }

  writeU64(value: number): void {
    scratch.setUint32(0, value / 4294967296)
    scratch.setUint32(4, value)
    this.#scratch(8)
  }

  writeI64(value: number): void {
    scratch.setUint32(0, Math.floor(value / 4294967296))
    scratch.setUint32(4, value)
    this.#scratch(8)
  }

  writeBigUint64(value: bigint): void {
    scratch.setBigUint64(0, value)
    this.#scratch(8)
  }

  writeBigInt64(value: bigint): void {
    scratch.setBigInt64(0, value)
    this.#scratch(8)
  }

  /** Copies the first `size` scratch bytes to the output. */
  #scratch(size: number): void {
    this.ensureBufferSizeToWrite(size)
    fromScratch(this.bytes, this.pos, size)
    this.pos += size
  }

  clone(): FastEncoder {
    return new FastEncoder()
  }

  override encodeString(value: string): void {
    const n = value.length
    if (nativeUtf8Write !== undefined && n >= NATIVE_FROM) {
      const byteLength = utf8Length(value)
      this.ensureBufferSizeToWrite(5 + byteLength)
      this.writeStringHeader(byteLength)
      this.pos += nativeUtf8Write(this.bytes, value, this.pos, byteLength)
      return
    }
    if (n < 0x10000 && this.#ascii(value, n)) return
    super.encodeString(value)
  }

  /** Writes `value` as a msgpack str if it is all ASCII (raw-writes.ts writeAscii). */
  #ascii(value: string, n: number): boolean {
    this.ensureBufferSizeToWrite(3 + n)
    const end = writeAscii(this.bytes, this.pos, value)
    if (end < 0) return false
    this.pos = end
    return true
  }
}
