import { nativeUtf8Slice } from './native-utf8.js'

/**
 * The decoders' strings (bounded-decoder.ts, fast-decoder.ts, the relay's raw frames): short ones
 * from a cache, since names (services, methods, node ids, topics, keys) repeat; longer ones through
 * Node's and Bun's native UTF-8 decode of a range, without a subarray (90 ns for 100 bytes on Node,
 * where the library's JavaScript decode took ~650 ns and TextDecoder with its subarray ~110);
 * elsewhere TextDecoder.
 */
const textDecoder = new TextDecoder()

/** The UTF-8 text of `bytes[start, end)`. */
export function textOf(bytes: Uint8Array, start: number, end: number): string {
  return nativeUtf8Slice !== undefined
    ? nativeUtf8Slice(bytes, start, end)
    : textDecoder.decode(bytes.subarray(start, end))
}

/** Decoded short strings by a hash of their bytes; bounded, so hostile input cannot grow it. */
class ShortStrings {
  readonly #entries = new Map<number, { bytes: Uint8Array; value: string }>()

  decode(bytes: Uint8Array, offset: number, length: number): string {
    let hash = length
    for (let i = 0; i < length; i++) hash = (Math.imul(hash, 31) + bytes[offset + i]!) | 0
    const entry = this.#entries.get(hash)
    if (entry && entry.bytes.length === length) {
      let same = true
      for (let i = 0; i < length; i++) {
        if (entry.bytes[i] !== bytes[offset + i]) {
          same = false
          break
        }
      }
      if (same) return entry.value
    }
    const value = textOf(bytes, offset, offset + length)
    if (this.#entries.size < 4096)
      this.#entries.set(hash, { bytes: bytes.slice(offset, offset + length), value })
    return value
  }
}

export const shortStrings = new ShortStrings()
/** Strings up to this many bytes come from the cache. */
export const SHORT = 24

/** The UTF-8 string at `bytes[start, start + length)`: from the cache when short, else decoded. */
export function decodeUtf8(bytes: Uint8Array, start: number, length: number): string {
  if (length <= SHORT) return shortStrings.decode(bytes, start, length)
  return textOf(bytes, start, start + length)
}
