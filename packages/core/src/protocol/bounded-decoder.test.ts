import { describe, expect, test } from 'bun:test'
import { decode, Encoder, ExtData, encode } from '@msgpack/msgpack'
import { createDecoder } from './bounded-decoder.js'
import { EDGE_NUMBERS } from './edge-numbers.test-helper.js'

// The decoder reads without a DataView (big-endian.ts): it must read every msgpack format as the
// library's own decoder does, and fail on truncated input where the library fails.
const decoder = createDecoder({ maxDepth: 100 })

/** One value of every msgpack format the library writes, at the edges of each width. */
const values: unknown[] = [
  ...EDGE_NUMBERS,
  '',
  'a',
  'x'.repeat(31),
  'y'.repeat(32),
  'z'.repeat(255),
  'w'.repeat(256),
  'v'.repeat(70_000),
  'héllo wörld ✓ 🕸',
  new Uint8Array(0),
  new Uint8Array([1, 2, 3]),
  new Uint8Array(300).fill(9),
  new Uint8Array(70_000).fill(7),
  null,
  true,
  false,
  [],
  Array.from({ length: 20 }, (_, i) => i * 1000),
  Array.from({ length: 70_000 }, (_, i) => i & 0xff),
  { a: 1, b: [2, { c: 'd' }] },
  Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
  Object.fromEntries(Array.from({ length: 70_000 }, (_, i) => [`k${i}`, i])),
  new ExtData(5, new Uint8Array([1])),
  new ExtData(-3, new Uint8Array([1, 2])),
  new ExtData(7, new Uint8Array(4).fill(4)),
  new ExtData(8, new Uint8Array(8).fill(8)),
  new ExtData(9, new Uint8Array(16).fill(6)),
  new ExtData(10, new Uint8Array(3)),
  new ExtData(11, new Uint8Array(300)),
  new ExtData(12, new Uint8Array(70_000)),
]

describe('the bounded decoder (no DataView)', () => {
  test('reads every format as @msgpack/msgpack does', () => {
    for (const value of values) {
      const bytes = encode(value)
      expect(decoder.decode(bytes)).toEqual(decode(bytes) as never)
    }
  })

  test('reads float32 and the 64-bit integer formats', () => {
    const f32 = new Encoder({ forceFloat32: true }).encode(3.5)
    expect(f32[0]).toBe(0xca)
    expect(decoder.decode(f32)).toBe(3.5)
    // uint64 and int64 with high words set (the library writes these for |n| ≥ 2^32).
    const u64 = Uint8Array.of(0xcf, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    expect(decoder.decode(u64)).toBe(Number.MAX_SAFE_INTEGER)
    const i64 = Uint8Array.of(0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 1)
    expect(decoder.decode(i64)).toBe(Number.MIN_SAFE_INTEGER)
    // Signed narrow formats written by other encoders for small values.
    expect(decoder.decode(Uint8Array.of(0xd0, 0x80))).toBe(-128)
    expect(decoder.decode(Uint8Array.of(0xd1, 0x80, 0x00))).toBe(-32_768)
    expect(decoder.decode(Uint8Array.of(0xd2, 0x80, 0, 0, 0))).toBe(-(2 ** 31))
    expect(decoder.decode(Uint8Array.of(0xce, 0xff, 0xff, 0xff, 0xff))).toBe(2 ** 32 - 1)
  })

  test('reads a view into a larger buffer at its own offset', () => {
    const bytes = encode([1, 'two', 3.25, new Uint8Array([4])])
    const padded = new Uint8Array(bytes.byteLength + 20).fill(0xc1)
    padded.set(bytes, 10)
    expect(decoder.decode(padded.subarray(10, 10 + bytes.byteLength))).toEqual([
      1,
      'two',
      3.25,
      new Uint8Array([4]),
    ])
  })

  test('every truncated message fails, as it does in the library', () => {
    for (const value of values) {
      const bytes = encode(value)
      // Every cut of short messages; for long ones, cuts near the header and the end.
      const cuts =
        bytes.byteLength < 400
          ? Array.from({ length: bytes.byteLength }, (_, i) => i)
          : [0, 1, 2, 3, 4, 5, 8, bytes.byteLength - 1]
      for (const cut of cuts) {
        const prefix = bytes.subarray(0, cut)
        expect(() => decode(prefix)).toThrow()
        expect(() => decoder.decode(prefix)).toThrow()
      }
    }
  })

  test('decodeEach reads back-to-back values across several buffers', () => {
    const first = new Uint8Array([...encode(1), ...encode('a'), ...encode(2.5)])
    const second = new Uint8Array([...encode([7]), ...encode(-40_000)])
    const seen: unknown[] = []
    decoder.decodeEach(first, (v, into: unknown[]) => into.push(v), seen)
    decoder.decodeEach(second, (v, into: unknown[]) => into.push(v), seen)
    expect(seen).toEqual([1, 'a', 2.5, [7], -40_000])
  })

  test('strings of every length and script decode as written; invalid UTF-8 as TextDecoder reads it', () => {
    const pieces = ['', 'a', 'é', '✓', '🕸', 'x'.repeat(23), 'y'.repeat(24), 'z'.repeat(25)]
    for (const n of [0, 1, 10, 24, 25, 26, 100, 199, 200, 201, 1000, 70_000]) {
      for (const piece of pieces) {
        const value = piece + 'q'.repeat(n) + piece
        expect(decoder.decode(encode(value))).toBe(value)
      }
    }
    // A str of 40 bytes with broken sequences: the same replacement characters as TextDecoder.
    const broken = Uint8Array.from({ length: 40 }, (_, i) =>
      i % 7 === 0 ? 0xff : i % 11 === 0 ? 0xc3 : 0x61,
    )
    const framed = new Uint8Array([0xd9, broken.length, ...broken])
    expect(decoder.decode(framed)).toBe(new TextDecoder().decode(broken))
  })
})
