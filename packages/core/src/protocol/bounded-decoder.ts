import { DecodeError, Decoder, type ExtensionCodec } from '@msgpack/msgpack'
import { f32, f64, i8, i16, i32, i64, u8, u16, u32, u64 } from './big-endian.js'
import { fastDecoder, NOT_FAST } from './fast-decoder.js'
import { nativeUtf8Slice } from './native-utf8.js'
import { SHORT, shortStrings, textOf } from './utf8-strings.js'

/**
 * @msgpack/msgpack's Decoder with four changes, all from measurements:
 *
 * - A nesting limit. The library keeps one stack entry per nesting level and has no limit, so a
 *   7 MB message of nested one-element arrays cost a relay ~1 GB and stalled it (found by the
 *   fuzz suite). Frames nest 4 levels; values get the encoder's own limit.
 * - Faster strings. Strings under 200 bytes are decoded in JavaScript one char at a time, which
 *   profiles showed as a quarter of a caller's CPU. Names (services, methods, node ids, topics)
 *   repeat, so short strings come from a small cache; longer ones go through Node's and Bun's
 *   native UTF-8 decode (browsers: the library's own path).
 * - No `DataView`. Reads come from the bytes themselves (big-endian.ts), because making the
 *   library's view of each message cost more than decoding it under Bun.
 * - Most values (every frame, and values without extensions) are read by a recursive decoder
 *   (fast-decoder.ts) instead of the library's state machine; it leaves anything unusual to the
 *   library, which then decodes that value from its start, so values and errors do not change.
 *
 * `pushArrayState`, `pushMapState`, `decodeUtf8String`, `clone` and the members decodeMulti is
 * made of (`entered`, `reinitializeState`, `setBuffer`, `hasRemaining`, `doDecodeSync`) are
 * private in the typings but stable across @msgpack/msgpack 3.x (clone serves re-entrant decodes).
 */
const DecoderBase = Decoder as unknown as new (
  options: object,
) => {
  stack: { length: number }
  bytes: Uint8Array
  pos: number
  entered: boolean
  reinitializeState(): void
  setBuffer(buffer: ArrayLike<number> | ArrayBufferView | ArrayBufferLike): void
  hasRemaining(size: number): boolean
  doDecodeSync(): unknown
  decode(buffer: ArrayLike<number> | ArrayBufferView | ArrayBufferLike): unknown
  pushArrayState(size: number): void
  pushMapState(size: number): void
  decodeUtf8String(byteLength: number, headerOffset: number): string
  decodeBinary(byteLength: number, headOffset: number): Uint8Array
  extensionCodec: ExtensionCodec
  context: undefined
  maxExtLength: number
}

/** Options of {@link createDecoder}. */
export interface BoundedDecoderOptions {
  maxDepth: number
  extensionCodec?: ExtensionCodec
}

/** A Decoder with a nesting limit, the faster string path, and `decodeEach`. */
export interface BoundedDecoder extends Decoder {
  /**
   * `decodeMulti` without a generator: hands each value to `onValue` as it is decoded. The
   * generator and its iterator results cost three objects per frame on every message (measured
   * by the bench's object census, issue 14); this costs none, and `context` is handed to
   * `onValue` so a caller needs no closure per message either.
   */
  decodeEach<C>(
    buffer: Uint8Array,
    onValue: (value: unknown, context: C) => void,
    context: C,
    take?: RawTake,
  ): void
}

/**
 * Offered each value's position before it is decoded: answers where the value ends if it took
 * the value from the raw bytes itself, or -1 to have it decoded (the relay's raw frames).
 */
export type RawTake = (bytes: Uint8Array, pos: number) => number

/** A Decoder with a nesting limit and the faster string path. */
export function createDecoder(options: BoundedDecoderOptions): BoundedDecoder {
  const { maxDepth, extensionCodec } = options
  class BoundedDecoderImpl extends DecoderBase {
    constructor() {
      super(extensionCodec ? { extensionCodec } : {})
    }
    override pushArrayState(size: number): void {
      if (this.stack.length >= maxDepth) throw new DecodeError(`Nesting deeper than ${maxDepth} levels`)
      super.pushArrayState(size)
    }
    override pushMapState(size: number): void {
      if (this.stack.length >= maxDepth) throw new DecodeError(`Nesting deeper than ${maxDepth} levels`)
      super.pushMapState(size)
    }
    override decodeUtf8String(byteLength: number, headerOffset: number): string {
      const start = this.pos + headerOffset
      if (byteLength === 0 || this.bytes.byteLength < start + byteLength) {
        return super.decodeUtf8String(byteLength, headerOffset)
      }
      let value: string
      if (byteLength <= SHORT) {
        value = shortStrings.decode(this.bytes, start, byteLength)
      } else if (nativeUtf8Slice !== undefined) {
        value = textOf(this.bytes, start, start + byteLength)
      } else {
        return super.decodeUtf8String(byteLength, headerOffset)
      }
      this.pos = start + byteLength
      return value
    }
    override setBuffer(buffer: ArrayLike<number> | ArrayBufferView | ArrayBufferLike): void {
      if (!(buffer instanceof Uint8Array)) {
        super.setBuffer(buffer)
        return
      }
      this.bytes = buffer
      this.pos = 0
    }
    override hasRemaining(size: number): boolean {
      return this.bytes.byteLength - this.pos >= size
    }
    decodeExtension(size: number, headOffset: number): unknown {
      if (size > this.maxExtLength) {
        throw new DecodeError(
          `Max length exceeded: ext length (${size}) > maxExtLength (${this.maxExtLength})`,
        )
      }
      const type = i8(this.bytes, this.pos + headOffset)
      const data = this.decodeBinary(size, headOffset + 1)
      return this.extensionCodec.decode(data, type, this.context)
    }
    lookU8(): number {
      return u8(this.bytes, this.pos)
    }
    lookU16(): number {
      return u16(this.bytes, this.pos)
    }
    lookU32(): number {
      return u32(this.bytes, this.pos)
    }
    readU8(): number {
      return this.#took(1, u8(this.bytes, this.pos))
    }
    readI8(): number {
      return this.#took(1, i8(this.bytes, this.pos))
    }
    readU16(): number {
      return this.#took(2, u16(this.bytes, this.pos))
    }
    readI16(): number {
      return this.#took(2, i16(this.bytes, this.pos))
    }
    readU32(): number {
      return this.#took(4, u32(this.bytes, this.pos))
    }
    readI32(): number {
      return this.#took(4, i32(this.bytes, this.pos))
    }
    readU64(): number {
      return this.#took(8, u64(this.bytes, this.pos))
    }
    readI64(): number {
      return this.#took(8, i64(this.bytes, this.pos))
    }
    readF32(): number {
      return this.#took(4, f32(this.bytes, this.pos))
    }
    readF64(): number {
      return this.#took(8, f64(this.bytes, this.pos))
    }
    /** Moves past the `size` bytes `value` was read from (the library's read… members). */
    #took(size: number, value: number): number {
      this.pos += size
      return value
    }
    clone(): BoundedDecoderImpl {
      return new BoundedDecoderImpl()
    }
    /** The fast decoder's value when it can read it all; else the library's decode, as before. */
    override decode(buffer: ArrayLike<number> | ArrayBufferView | ArrayBufferLike): unknown {
      if (buffer instanceof Uint8Array) {
        const value = fastDecoder.decodeAt(buffer, 0, maxDepth)
        // Bytes left over: the library's decode reports them.
        if (value !== NOT_FAST && fastDecoder.end === buffer.length) return value
      }
      return super.decode(buffer)
    }
    decodeEach<C>(
      buffer: Uint8Array,
      onValue: (value: unknown, context: C) => void,
      context: C,
      take?: RawTake,
    ): void {
      let pos = 0
      // What `take` reads from the bytes needs none of the decoder's state, so a message of only
      // such frames (nearly every message a relay or a node gets: Requests and Responses) never
      // sets it up. The setup's state reset is a native call (the library's `stack.length = 0`):
      // 5% of a serial caller's JavaScript samples (bench/micro/serial-path.ts, issue 14).
      if (take !== undefined) {
        while (pos < buffer.length) {
          const end = take(buffer, pos)
          if (end < 0) break
          pos = end
        }
        if (pos === buffer.length) return
      }
      this.decodeFrom(buffer, pos, onValue, context, take)
    }

    /** decodeEach's decoding from `pos`, the first frame `take` declined. */
    decodeFrom<C>(
      buffer: Uint8Array,
      pos: number,
      onValue: (value: unknown, context: C) => void,
      context: C,
      take: RawTake | undefined,
    ): void {
      // The same steps as decodeMulti, re-entrancy included (a callback may decode again).
      if (this.entered) {
        this.clone().decodeFrom(buffer, pos, onValue, context, take)
        return
      }
      try {
        this.entered = true
        this.reinitializeState()
        this.setBuffer(buffer)
        this.pos = pos
        let declined = true
        while (this.hasRemaining(1)) {
          // The frame at `pos` was offered to `take` already, and declined.
          if (take !== undefined && !declined) {
            const end = take(buffer, this.pos)
            if (end >= 0) {
              this.pos = end
              continue
            }
          }
          declined = false
          // The fast decoder first; what it leaves, the library decodes from the same position.
          const value = fastDecoder.decodeAt(this.bytes, this.pos, maxDepth)
          if (value === NOT_FAST) onValue(this.doDecodeSync(), context)
          else {
            this.pos = fastDecoder.end
            onValue(value, context)
          }
        }
      } finally {
        this.entered = false
      }
    }
  }
  return new BoundedDecoderImpl() as unknown as BoundedDecoder
}
