import { be16, be32, f32, f64, i8, i16, i32, i64, u64 } from './big-endian.js'
import { decodeUtf8 } from './utf8-strings.js'

/** What {@link FastDecoder.decodeAt} answers for a value it leaves to the library's decoder. */
export const NOT_FAST: unique symbol = Symbol('not fast')

/**
 * Decodes what frames and most values are made of straight from the bytes, by recursion: nil,
 * booleans, every integer and float format, strings, bin, and arrays and maps with string or
 * number keys. @msgpack/msgpack runs a state machine instead, with a stack entry per open array or
 * map and a branch per state for every element; on the bench's serial call its decode loop was the
 * largest JavaScript cost of a node after the socket (`perf`, issue 14).
 *
 * Anything else answers {@link NOT_FAST} and moves nothing: extensions, a key of another type, the
 * `__proto__` key, a truncated value, an unknown byte, nesting past the limit. The caller then
 * decodes that value with the library's decoder (bounded-decoder.ts) from the same position, so
 * every value and every error stays what the library makes of it. Values match the library's:
 * arrays are `new Array(size)` filled in order, maps plain objects, bin a subarray of the input.
 * Strings come from the same cache and native decode as the bounded decoder's (utf8-strings.ts).
 * Nothing here calls out (no extension decoders), so one instance serves every caller.
 */
export class FastDecoder {
  /** Where the last value {@link decodeAt} decoded ends. */
  end = 0
  #bytes: Uint8Array = new Uint8Array(0)
  #pos = 0
  #maxDepth = 0

  /**
   * The value at `bytes[pos]`, or NOT_FAST. `maxDepth` is the bounded decoder's nesting limit: a
   * non-empty array or map may open while fewer than that many are open around it.
   */
  decodeAt(bytes: Uint8Array, pos: number, maxDepth: number): unknown {
    this.#bytes = bytes
    this.#pos = pos
    this.#maxDepth = maxDepth
    const value = this.#value(0)
    if (value !== NOT_FAST) this.end = this.#pos
    // Do not keep the message alive through this shared instance.
    this.#bytes = EMPTY
    return value
  }

  /** One value at #pos, inside `depth` open arrays and maps. */
  #value(depth: number): unknown {
    const bytes = this.#bytes
    const pos = this.#pos
    if (pos >= bytes.length) return NOT_FAST
    const head = bytes[pos]!
    this.#pos = pos + 1
    if (head < 0x80) return head
    if (head >= 0xe0) return head - 0x100
    if (head < 0x90) return this.#map(head - 0x80, depth)
    if (head < 0xa0) return this.#array(head - 0x90, depth)
    if (head < 0xc0) return this.#string(head - 0xa0)
    return this.#sized(head, depth)
  }

  /** The formats 0xc0–0xdf: a fixed-size value, or a length of WIDTH bytes and what it counts. */
  #sized(head: number, depth: number): unknown {
    const bytes = this.#bytes
    const at = this.#pos
    const width = WIDTH[head - 0xc0]!
    if (at + width > bytes.length) return NOT_FAST
    this.#pos = at + width
    switch (head) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xcc:
        return bytes[at]
      case 0xcd:
        return be16(bytes, at)
      case 0xce:
        return be32(bytes, at)
      case 0xd0:
        return i8(bytes, at)
      case 0xd1:
        return i16(bytes, at)
      case 0xd2:
        return i32(bytes, at)
      case 0xcf:
        return u64(bytes, at)
      case 0xd3:
        return i64(bytes, at)
      case 0xca:
        return f32(bytes, at)
      case 0xcb:
        return f64(bytes, at)
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.#string(lengthAt(bytes, at, width))
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return this.#binary(lengthAt(bytes, at, width))
      case 0xdc:
      case 0xdd:
        return this.#array(lengthAt(bytes, at, width), depth)
      case 0xde:
      case 0xdf:
        return this.#map(lengthAt(bytes, at, width), depth)
      default:
        // Extensions (the value codec's Date, Map, Set, undefined, BigInt) and 0xc1.
        return NOT_FAST
    }
  }

  #string(length: number): unknown {
    const start = this.#pos
    if (start + length > this.#bytes.length) return NOT_FAST
    this.#pos = start + length
    return length === 0 ? '' : decodeUtf8(this.#bytes, start, length)
  }

  #binary(length: number): unknown {
    const start = this.#pos
    if (start + length > this.#bytes.length) return NOT_FAST
    this.#pos = start + length
    return this.#bytes.subarray(start, start + length)
  }

  #array(size: number, depth: number): unknown {
    if (size === 0) return []
    // Each element takes a byte at least: a longer count is a lie the library must answer.
    if (depth >= this.#maxDepth || size > this.#bytes.length - this.#pos) return NOT_FAST
    const array = new Array(size)
    for (let i = 0; i < size; i++) {
      const element = this.#value(depth + 1)
      if (element === NOT_FAST) return NOT_FAST
      array[i] = element
    }
    return array
  }

  #map(size: number, depth: number): unknown {
    if (size === 0) return {}
    if (depth >= this.#maxDepth || size * 2 > this.#bytes.length - this.#pos) return NOT_FAST
    const map: Record<string | number, unknown> = {}
    for (let i = 0; i < size; i++) {
      const key = this.#value(depth + 1)
      // The library takes string and number keys and refuses `__proto__`; the rest is its to say.
      if ((typeof key !== 'string' && typeof key !== 'number') || key === '__proto__') return NOT_FAST
      const value = this.#value(depth + 1)
      if (value === NOT_FAST) return NOT_FAST
      map[key] = value
    }
    return map
  }
}

const EMPTY = new Uint8Array(0)

/**
 * Bytes after the head byte of each format 0xc0–0xdf: a fixed-size value's, or its length
 * field's (str, bin, array, map). 0 for the formats left to the library (0xc1, extensions).
 */
// biome-ignore format: one row per 8 formats
const WIDTH: readonly number[] = [
  0, 0, 0, 0, 1, 2, 4, 0, // c0 nil, c1, false, true, bin 8/16/32, ext 8
  0, 0, 4, 8, 1, 2, 4, 8, // ext 16/32, float 32/64, uint 8/16/32/64
  1, 2, 4, 8, 0, 0, 0, 0, // int 8/16/32/64, fixext 1/2/4/8
  0, 1, 2, 4, 2, 4, 2, 4, // fixext 16, str 8/16/32, array 16/32, map 16/32
]

/** The length field (or uint) of `width` bytes at `at` (the caller checked they are there). */
function lengthAt(bytes: Uint8Array, at: number, width: number): number {
  return width === 1 ? bytes[at]! : width === 2 ? be16(bytes, at) : be32(bytes, at)
}

/** The one instance (see {@link FastDecoder}: it never calls out, so it cannot be re-entered). */
export const fastDecoder = new FastDecoder()
