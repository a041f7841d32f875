import { describe, expect, test } from 'bun:test'
import { decodeValue, encodeValue, findUnserialisable } from './codec.js'
import { ErrorCode } from './error-codes.js'
import { fromWireError, MeshError, toWireError } from './errors.js'
import { decodeFrame, encodeFrame, FrameType, MAX_NAMES_PER_FRAME, PROTOCOL_VERSION } from './frames.js'
import { sameNodeLists } from './packets.js'

describe('value codec', () => {
  test('keeps undefined at the top level, in arrays, objects, Maps and Sets', () => {
    const value = [undefined, { a: undefined }, new Map([['k', undefined]]), new Set([undefined])]
    const back = decodeValue(encodeValue(value)) as typeof value
    expect(back).toEqual(value)
    expect(Object.hasOwn(back[1] as object, 'a')).toBe(true)
    expect(decodeValue(encodeValue(undefined))).toBeUndefined()
  })
  test('keeps Date, Uint8Array, Map with non-string keys, Set and BigInt', () => {
    const value = {
      d: new Date(123),
      b: new Uint8Array([1, 2]),
      m: new Map([[1, 'one']]),
      s: new Set(['x']),
      n: -(2n ** 70n),
    }
    expect(decodeValue(encodeValue(value))).toEqual(value)
  })
  test('names the path of what cannot be serialised', () => {
    expect(findUnserialisable({ a: [1, { f: () => 1 }] }, 'args')).toBe('args.a[1].f is a function')
    expect(findUnserialisable({ s: Symbol('x') })).toBe('.s is a symbol')
    const loop: Record<string, unknown> = {}
    loop.me = loop
    expect(findUnserialisable(loop, 'x')).toBe('x.me is a circular reference')
    expect(findUnserialisable({ ok: [1, 'a', null] })).toBeUndefined()
    expect(findUnserialisable(new Map([[() => 1, 'value']]), 'm')).toBe('m.<map key 0> is a function')
  })
})

describe('decoder limits and string decoding', () => {
  test('values nested deeper than the encoder allows are refused, not decoded at any cost', () => {
    expect(() => decodeValue(new Uint8Array(100_000).fill(0x91))).toThrow(/Nesting deeper than/)
  })
  test('short and long strings, repeated and unicode, decode exactly (the cache never mixes them up)', () => {
    const names = ['S', 'Svc', 'méthode', '🕷️', 'a'.repeat(24), 'b'.repeat(25), 'x'.repeat(300), 'Svc']
    for (let round = 0; round < 3; round++) expect(decodeValue(encodeValue(names))).toEqual(names)
    const many = Array.from({ length: 5000 }, (_, i) => `name-${i}`)
    expect(decodeValue(encodeValue(many))).toEqual(many)
  })
})

describe('error converters', () => {
  test('Error, {code,message}, string and Error subclass keep code and message; no undefined fields', () => {
    class NotFound extends Error {
      code = 'NOT_FOUND'
      override name = 'NotFound'
    }
    expect(toWireError(new Error('m'))).toEqual({ message: 'm' })
    expect(Object.keys(toWireError(new Error('m')))).toEqual(['message'])
    expect(toWireError({ code: 'C', message: 'm' })).toEqual({ code: 'C', message: 'm' })
    expect(toWireError('boom')).toEqual({ message: 'boom' })
    expect(toWireError(new NotFound('gone'))).toEqual({
      code: 'NOT_FOUND',
      message: 'gone',
      name: 'NotFound',
    })
    expect(toWireError(undefined)).toEqual({ message: 'Provider threw undefined' })
    expect(toWireError({ code: 7, message: 'numeric code' })).toEqual({ code: '7', message: 'numeric code' })
  })
  test('fromWireError builds a MeshError with own code only when present', () => {
    const coded = fromWireError({ code: 'C', message: 'm', data: { x: 1 } })
    expect(coded).toBeInstanceOf(MeshError)
    expect([coded.code, coded.message, coded.data]).toEqual(['C', 'm', { x: 1 }])
    const plain = fromWireError({ message: 'm' })
    expect('code' in plain).toBe(false)
    expect('data' in plain).toBe(false)
    expect(fromWireError('garbage').code).toBe(ErrorCode.PROTOCOL_ERROR)
  })
  test('a round trip through the wire is lossless for code, message and name', () => {
    const err = fromWireError(
      decodeValue(encodeValue(toWireError(Object.assign(new TypeError('t'), { code: 'T' })))),
    )
    expect([err.code, err.message, err.name]).toEqual(['T', 't', 'TypeError'])
  })
})

describe('frames', () => {
  test('round-trip every frame type', () => {
    const payload = new Uint8Array([1, 2, 3])
    const frames = [
      [FrameType.Hello, PROTOCOL_VERSION, 'n', ['S'], ['t']],
      [FrameType.Welcome, PROTOCOL_VERSION, 'n', [['m', ['S']]], 30000],
      [FrameType.Node, 'm', ['S']],
      [FrameType.Offline, 'm'],
      [FrameType.Services, ['S']],
      [FrameType.Request, 1, 'S', 'm', null, payload],
      [FrameType.Response, 1, 3, payload],
      [FrameType.Cancel, 1],
      [FrameType.Cancel, 1, 'MICROSERVICE_RPC_TIMEOUT'],
      [FrameType.Publish, 't', payload, 'n'],
      [FrameType.Subscribe, 't'],
      [FrameType.Unsubscribe, 't'],
      [FrameType.Ping, 5],
      [FrameType.Pong, 5],
      [FrameType.Error, 'PROTOCOL_ERROR', 'why', null],
      [FrameType.Goodbye, 'bye'],
    ] as const
    for (const frame of frames) expect(decodeFrame(encodeFrame(frame as never))).toEqual(frame as never)
  })
  const bad: [string, Uint8Array][] = [
    ['garbage', new Uint8Array([0xc1, 0xff, 0x00])],
    ['truncated', encodeFrame([FrameType.Request, 1, 'S', 'm', null, new Uint8Array(10)]).subarray(0, 8)],
    ['not an array', encodeValue({ a: 1 })],
    ['empty array', encodeValue([])],
    ['unknown type', encodeValue([99, 1])],
    ['wrong field types', encodeValue([FrameType.Request, 'one', 'S', 'm', null, new Uint8Array(1)])],
    ['wrong length', encodeValue([FrameType.Cancel, 1, 'MICROSERVICE_RPC_TIMEOUT', 3])],
    ['cancel reason not a string', encodeValue([FrameType.Cancel, 1, 2])],
    ['negative id', encodeValue([FrameType.Cancel, -1])],
    [
      'a service list longer than MAX_NAMES_PER_FRAME',
      encodeValue([FrameType.Services, Array(MAX_NAMES_PER_FRAME + 1).fill('S')]),
    ],
    ['nesting deeper than any frame', new Uint8Array(1000).fill(0x91)],
  ]
  for (const [name, bytes] of bad) {
    test(`rejects ${name} with PROTOCOL_ERROR`, () => {
      expect(() => decodeFrame(bytes)).toThrow(expect.objectContaining({ code: ErrorCode.PROTOCOL_ERROR }))
    })
  }
})

describe('sameNodeLists', () => {
  test('compares node ids and services in order', () => {
    const a = [{ node_id: 'a', services: ['S', 'T'] }]
    expect(sameNodeLists(a, [{ node_id: 'a', services: ['S', 'T'] }])).toBe(true)
    expect(sameNodeLists(a, [{ node_id: 'a', services: ['S'] }])).toBe(false)
    expect(sameNodeLists(a, [{ node_id: 'b', services: ['S', 'T'] }])).toBe(false)
    expect(sameNodeLists(a, [])).toBe(false)
  })
})
