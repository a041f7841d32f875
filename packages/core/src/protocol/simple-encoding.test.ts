import { describe, expect, test } from 'bun:test'
import { Encoder } from '@msgpack/msgpack'
import { decodeValue, encodeValue } from './codec.js'
import { seeded } from './seeded.test-helper.js'
import { simpleEncoding } from './simple-encoding.js'

// The library's own encoder, without the mesh's extensions: for the values simpleEncoding takes
// (no undefined, Map, Set or bigint) they change nothing.
const library = new Encoder({ ignoreUndefined: false })
const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  a !== undefined && Buffer.from(a).equals(Buffer.from(b))

const ints = [
  0,
  1,
  31,
  32,
  127,
  128,
  255,
  256,
  65_535,
  65_536,
  2 ** 32 - 1,
  -1,
  -31,
  -32,
  -33,
  -127,
  -128,
  -129,
  -32_767,
  -32_768,
  -32_769,
  -(2 ** 31),
]
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
    for (const value of others) {
      expect(simpleEncoding(value)).toBeUndefined()
      expect(decodeValue(encodeValue(value))).toEqual(value as never)
    }
  })
})
