import { expect, test } from 'bun:test'
import { Encoder } from '@msgpack/msgpack'
import { decodeValue, encodeValue } from './codec.js'
import { EDGE_NUMBERS } from './edge-numbers.test-helper.js'
import { FastEncoder } from './fast-encoder.js'

// The fast string paths must write exactly the bytes the library writes.
const library = new Encoder()
const fast = new FastEncoder()

const lengths = [0, 1, 31, 32, 33, 49, 50, 51, 52, 100, 255, 256, 257, 65_535, 65_536, 70_000]
const pieces = ['a', 'é', '✓', '🕸', '\u0000', '\u007f', '\u0080', '\ud800', '\udc00']

function strings(): string[] {
  const out: string[] = []
  for (const n of lengths) {
    out.push('x'.repeat(n))
    // One non-ASCII character at the start, the middle and the end of an ASCII string.
    for (const piece of pieces.slice(1)) {
      if (n < 2) continue
      const base = 'y'.repeat(n - 1)
      out.push(piece + base, base.slice(0, n >> 1) + piece + base.slice(n >> 1), base + piece)
    }
  }
  out.push(pieces.join('').repeat(20), 'naïve café'.repeat(7), '🕸'.repeat(40))
  return out
}

test('every string is written byte for byte as @msgpack/msgpack writes it', () => {
  for (const value of strings()) {
    const expected = library.encode(value)
    const got = fast.encode(value)
    if (!Buffer.from(got).equals(Buffer.from(expected))) {
      throw new Error(
        `differs for a string of ${value.length} UTF-16 units: ${JSON.stringify(value.slice(0, 12))}…`,
      )
    }
  }
})

test('strings inside arrays and maps, and as map keys, round-trip through the value codec', () => {
  const value = {
    id: 7,
    name: 'alice',
    'clé ✓': ['x'.repeat(60), 'é'.repeat(60), ''],
    nested: { [`k${'z'.repeat(40)}`]: '🕸'.repeat(30) },
  }
  const bytes = encodeValue(value)
  expect(Buffer.from(bytes).equals(Buffer.from(library.encode(value)))).toBe(true)
  expect(decodeValue(bytes)).toEqual(value)
})

test('the buffer grows for a long string written after others', () => {
  const value = ['a'.repeat(10), 'b'.repeat(3000), 'c'.repeat(70_000), 'é'.repeat(70_000)]
  expect(Buffer.from(fast.encode(value)).equals(Buffer.from(library.encode(value)))).toBe(true)
})

test('numbers of every format, bigints and extensions are written byte for byte as the library does', () => {
  const numbers = EDGE_NUMBERS
  const values: unknown[] = [
    numbers,
    { n: numbers },
    new Uint8Array(70_000).fill(3),
    new Date(1_700_000_000_123),
  ]
  const pairs: [Encoder, FastEncoder][] = [
    [new Encoder(), new FastEncoder()],
    [new Encoder({ forceFloat32: true }), new FastEncoder({ forceFloat32: true })],
    [new Encoder({ forceIntegerToFloat: true }), new FastEncoder({ forceIntegerToFloat: true })],
  ]
  for (const [lib, ours] of pairs) {
    for (const value of values) {
      expect(Buffer.from(ours.encode(value)).equals(Buffer.from(lib.encode(value)))).toBe(true)
    }
  }
  const bigints = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n]
  const lib = new Encoder({ useBigInt64: true })
  const ours = new FastEncoder({ useBigInt64: true })
  for (const value of bigints)
    expect(Buffer.from(ours.encode(value)).equals(Buffer.from(lib.encode(value)))).toBe(true)
})

test('encodeInto writes at the given offset and grows the buffer, keeping what was before', () => {
  const bytes = new Uint8Array(8).fill(0xee)
  const encoder = new FastEncoder()
  const value = ['a'.repeat(100), 1.5, 2 ** 40]
  const end = encoder.encodeInto(value, bytes, 3)
  const written = encoder.written
  expect(written).not.toBe(bytes)
  expect(Array.from(written.subarray(0, 3))).toEqual([0xee, 0xee, 0xee])
  expect(Buffer.from(written.subarray(3, end)).equals(Buffer.from(library.encode(value)))).toBe(true)
  // Room enough: the same buffer is written.
  const roomy = new Uint8Array(4096)
  encoder.encodeInto(value, roomy, 10)
  expect(encoder.written).toBe(roomy)
  // The encoder's own buffer was left alone.
  expect(Buffer.from(encoder.encode('x')).equals(Buffer.from(library.encode('x')))).toBe(true)
})
