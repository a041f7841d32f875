import { describe, expect, test } from 'bun:test'
import { Encoder } from '@msgpack/msgpack'
import { decodeValue, encodeValue } from './codec.js'
import { EDGE_NUMBERS } from './edge-numbers.test-helper.js'
import { seeded } from './seeded.test-helper.js'
import { simpleEncoding } from './simple-encoding.js'

// The library's own encoder, without the mesh's extensions: for the values simpleEncoding takes
// (no undefined, Map, Set or bigint) they change nothing.
const library = new Encoder({ ignoreUndefined: false })
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && Buffer.from(a).equals(Buffer.from(b))

// The codec tests' edge numbers that simpleEncoding takes (integers of at most 32 bits; -0 apart,
// as it decodes as 0), and a few more inside the formats; it must decline the other edge numbers.
const takes = (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 32 && !Object.is(n, -0)
const ints = [...EDGE_NUMBERS.filter(takes), 31, 32, -31, -127, -32_767]
const strings = ['', 'a', 'x'.repeat(31), 'x'.repeat(32), 'y'.repeat(255)]

describe('simpleEncoding', () => {
  test('writes byte for byte what the library writes, at every format boundary and at random', () => {
    const values: unknown[] = [...ints, ...strings, true, false, null]
    const next = seeded(11)
    const pick = () => values[Math.floor(next() * values.length)]
    for (let i = 0; i < 3000; i++) {
      const value = next() < 0.3 ? pick() : Array.from({ length: Math.floor(next() * 16) }, pick)
      const bytes = simpleEncoding(value)
      expect(same(bytes, library.encode(value))).toBe(true)
      expect(decodeValue(bytes!)).toEqual(value as never)
    }
    // -0 is written as 0, as the library writes it.
    expect(same(simpleEncoding(-0), library.encode(-0))).toBe(true)
  })

  test('leaves every other value to the encoder, whose bytes encodeValue then gives', () => {
    class Args extends Array<unknown> {}
    const sparse: unknown[] = new Array(3)
    sparse[0] = 1
    sparse[2] = 3
    const others: unknown[] = [
      undefined,
      [undefined],
      1.5,
      Number.NaN,
      2 ** 32,
      -(2 ** 31) - 1,
      2 ** 53,
      10n,
      'é',
      ['ok', '日本'],
      'y'.repeat(256),
      'z'.repeat(65_535),
      'w'.repeat(65_536),
      Array.from({ length: 16 }, () => 1),
      [[1]],
      [{ a: 1 }],
      { a: 1 },
      new Map([[1, 2]]),
      new Uint8Array(2),
      new Args(1, 2),
      sparse,
    ]
    others.push(...EDGE_NUMBERS.filter((n) => !takes(n) && !Object.is(n, -0)))
    for (const value of others) {
      expect(simpleEncoding(value)).toBeUndefined()
      expect(decodeValue(encodeValue(value))).toEqual(value as never)
    }
  })
})
