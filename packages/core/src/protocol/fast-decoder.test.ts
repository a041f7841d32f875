import { describe, expect, test } from 'bun:test'
import { decode, ExtData, encode } from '@msgpack/msgpack'
import { createDecoder } from './bounded-decoder.js'
import { decodeValue, encodeValue } from './codec.js'
import { EDGE_NUMBERS } from './edge-numbers.test-helper.js'
import { FastDecoder, NOT_FAST } from './fast-decoder.js'
import { seeded } from './seeded.test-helper.js'

const fast = new FastDecoder()
const bounded = createDecoder({ maxDepth: 100 })

/** A random value of what the fast decoder reads (and, with `ext`, extensions it leaves). */
function value(rnd: () => number, depth: number, ext: boolean): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 8 : 11))
  switch (pick) {
    case 0:
      return EDGE_NUMBERS[Math.floor(rnd() * EDGE_NUMBERS.length)]
    case 1:
      return rnd() < 0.5 ? null : rnd() < 0.5
    case 2:
      // Whole code points: a lone surrogate is the one known difference (it becomes U+FFFD, see
      // bounded-decoder.test.ts), and it predates this decoder.
      return [...'é✓🕸abc'].slice(0, Math.floor(rnd() * 7)).join('') + 'x'.repeat(Math.floor(rnd() * 300))
    case 3:
      return new Uint8Array(Math.floor(rnd() * 300)).fill(Math.floor(rnd() * 256))
    case 4:
      return (rnd() - 0.5) * 1e6
    case 5:
      return ext ? new ExtData(Math.floor(rnd() * 100), new Uint8Array([1, 2, 3])) : 7
    case 6:
      return Math.floor(rnd() * 2 ** 53)
    case 7:
      return ''
    case 8:
      return Array.from({ length: Math.floor(rnd() * 20) }, () => value(rnd, depth + 1, ext))
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(rnd() * 20) }, (_, i) => [
          rnd() < 0.2 ? String(i) : `key${i}`,
          value(rnd, depth + 1, ext),
        ]),
      )
  }
}

/**
 * What the bounded decoder made of `bytes` before the fast path: its value, or the fact that it
 * threw. `decodeMulti` runs the library's state machine with the bounded decoder's own changes
 * (strings, nesting), and no fast path; `decode` also refuses bytes after the value.
 */
function withoutFastPath(bytes: Uint8Array): { value?: unknown; threw?: true } {
  try {
    const values = [...bounded.decodeMulti(bytes)]
    return values.length === 1 ? { value: values[0] } : { threw: true }
  } catch {
    return { threw: true }
  }
}

describe('the fast decoder', () => {
  test('reads what the library reads, value for value, on 2,000 random values', () => {
    const rnd = seeded(14)
    for (let i = 0; i < 2000; i++) {
      const v = value(rnd, 0, false)
      const bytes = encode(v)
      const got = fast.decodeAt(bytes, 0, 100)
      expect(got).not.toBe(NOT_FAST)
      expect(fast.end).toBe(bytes.length)
      expect(got).toEqual(decode(bytes) as never)
    }
  })

  test('the bounded decoder gives the value or error it gave before, for every mutated message', () => {
    const rnd = seeded(7)
    for (let i = 0; i < 3000; i++) {
      const bytes = encode(value(rnd, 0, true))
      // Flip, cut or extend at random: the fast path must fall back, never differ.
      const mutated = bytes.slice()
      const at = Math.floor(rnd() * mutated.length)
      const mode = rnd()
      let input = mutated
      if (mode < 0.5) mutated[at] = Math.floor(rnd() * 256)
      else if (mode < 0.8) input = mutated.subarray(0, at)
      else input = Uint8Array.from([...mutated, Math.floor(rnd() * 256)])
      const expected = withoutFastPath(input)
      if (expected.threw) expect(() => bounded.decode(input)).toThrow()
      else expect(bounded.decode(input)).toEqual(expected.value as never)
    }
  })

  test('leaves extensions, odd keys, __proto__, truncation and deep nesting to the library', () => {
    const cases: Uint8Array[] = [
      encode(new ExtData(3, new Uint8Array([1]))),
      Uint8Array.of(0x81, 0xc0, 0x01), // {nil: 1}
      Uint8Array.of(0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x01),
      encode({ a: [1, 2, 3] }).subarray(0, 5),
      Uint8Array.of(0xc1),
      Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff), // a huge array count with nothing after it
      encode([[[1]]]),
    ]
    for (const bytes of cases.slice(0, -1)) expect(fast.decodeAt(bytes, 0, 100)).toBe(NOT_FAST)
    // Three levels under a limit of two: the library raises the bounded decoder's error.
    expect(fast.decodeAt(cases.at(-1)!, 0, 2)).toBe(NOT_FAST)
    expect(() => createDecoder({ maxDepth: 2 }).decode(cases.at(-1)!)).toThrow('Nesting deeper than 2 levels')
    // Empty containers open nothing, as in the library: allowed at any depth.
    expect(createDecoder({ maxDepth: 1 }).decode(encode([[], {}]))).toEqual([[], {}])
    expect(() => bounded.decode(cases[2]!)).toThrow('__proto__')
  })

  test('reads at an offset and reports where the value ends', () => {
    const bytes = Uint8Array.from([0xc0, 0xc0, ...encode(['a', 2]), 0xc3])
    expect(fast.decodeAt(bytes, 2, 100)).toEqual(['a', 2])
    expect(fast.end).toBe(bytes.length - 1)
  })

  test('values with extensions still round-trip through the codec', () => {
    const v = {
      when: new Date(5),
      m: new Map([[1, 'a']]),
      s: new Set([2]),
      u: undefined,
      b: 10n,
      list: [1, 'x'],
    }
    expect(decodeValue(encodeValue(v))).toEqual(v)
  })
})
