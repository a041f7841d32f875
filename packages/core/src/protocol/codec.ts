import { type Encoder, ExtensionCodec } from '@msgpack/msgpack'
import { createDecoder } from './bounded-decoder.js'
import { FastEncoder } from './fast-encoder.js'
import { simpleEncoding } from './simple-encoding.js'

/**
 * The value codec: msgpack with extensions so that values survive the wire as JavaScript sees
 * them. Date uses msgpack's timestamp; Uint8Array is `bin`; Map, Set, `undefined` and BigInt get
 * extension types so they do not silently become objects, arrays or `null`.
 */
const extensions = new ExtensionCodec()
const EMPTY = new Uint8Array(0)

// Extension type numbers are part of the protocol: never renumber.
const UNDEFINED_EXT = 1
extensions.register({ type: UNDEFINED_EXT, encode: () => null, decode: () => undefined })
extensions.register({
  type: 2,
  encode: (value) => (value instanceof Map ? valueEncoder.encode([...value]) : null),
  decode: (data) => new Map(valueDecoder.decode(data) as [unknown, unknown][]),
})
extensions.register({
  type: 3,
  encode: (value) => (value instanceof Set ? valueEncoder.encode([...value]) : null),
  decode: (data) => new Set(valueDecoder.decode(data) as unknown[]),
})
extensions.register({
  type: 4,
  encode: (value) => (typeof value === 'bigint' ? new TextEncoder().encode(value.toString()) : null),
  decode: (data) => BigInt(new TextDecoder().decode(data)),
})

/**
 * msgpack writes `undefined` as nil before consulting extensions, so `[undefined]` would come
 * back as `[null]`. This subclass intercepts `undefined` first (and has the fast strings of
 * fast-encoder.ts). `doEncode` and `clone` are private in the typings but stable in
 * @msgpack/msgpack 3.x (clone serves re-entrant encodes, which the Map and Set extensions make).
 */
class ValueEncoder extends FastEncoder {
  constructor() {
    super({ extensionCodec: extensions, ignoreUndefined: false })
  }
  override doEncode(value: unknown, depth: number): void {
    if (value === undefined) this.encodeExtension({ type: UNDEFINED_EXT, data: EMPTY })
    else super.doEncode(value, depth)
  }
  override clone(): ValueEncoder {
    return new ValueEncoder()
  }
}
const valueEncoder = new ValueEncoder() as unknown as Encoder
// The encoder refuses values nested deeper than 100 levels; the decoder holds senders to the same.
const valueDecoder = createDecoder({ maxDepth: 100, extensionCodec: extensions })

/** Encodes one value for the wire. Throws a plain Error when the value cannot be represented. */
export function encodeValue(value: unknown): Uint8Array {
  // Most arguments and results are a string, a small integer or a few of those (simple-encoding.ts).
  return simpleEncoding(value) ?? valueEncoder.encode(value)
}

/** Decodes bytes produced by {@link encodeValue}. */
export function decodeValue(bytes: Uint8Array): unknown {
  return valueDecoder.decode(bytes)
}

/**
 * Finds why a value cannot cross the wire, without encoding it: the first function, symbol or
 * cycle, with its path. Used only to build a helpful error message after encoding failed.
 */
export function findUnserialisable(value: unknown, path = '', seen = new Set<unknown>()): string | undefined {
  const t = typeof value
  if (t === 'function') return `${path || 'value'} is a function`
  if (t === 'symbol') return `${path || 'value'} is a symbol`
  if (value === null || t !== 'object') return undefined
  if (seen.has(value)) return `${path || 'value'} is a circular reference`
  seen.add(value)
  const entries: [string, unknown][] =
    value instanceof Map
      ? [...value].flatMap(([k, v], i): [string, unknown][] => [
          [`<map key ${i}>`, k],
          [`<map ${i}>`, v],
        ])
      : value instanceof Set
        ? [...value].map((v, i) => [`<set ${i}>`, v])
        : ArrayBuffer.isView(value) || value instanceof Date
          ? []
          : Object.entries(value as object)
  for (const [key, child] of entries) {
    const found = findUnserialisable(child, `${path}${Array.isArray(value) ? `[${key}]` : `.${key}`}`, seen)
    if (found) return found
  }
  seen.delete(value)
  return undefined
}
