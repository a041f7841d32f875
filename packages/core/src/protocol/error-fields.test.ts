import { expect, test } from 'bun:test'
import { decodeValue, encodeValue } from './codec.js'
import { fromWireError, MeshError, registerErrorClass, toWireError } from './errors.js'

class OrderNotFoundError extends Error {
  readonly code = 'ORDER_NOT_FOUND'
  constructor(
    readonly orderId: string,
    readonly attempts: number,
  ) {
    super(`No order ${orderId}`)
  }
  describe() {
    return `order ${this.orderId}`
  }
}

class Unregistered extends Error {
  readonly shelf = 7
}

/** What the caller gets: through the real value codec, as on the wire. */
const roundTrip = (thrown: unknown) => fromWireError(decodeValue(encodeValue(toWireError(thrown))))

test('own enumerable fields of a thrown error cross the wire; functions and cycles stay behind', () => {
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  const thrown = Object.assign(new Unregistered('full'), {
    when: new Date(0),
    tags: ['a'],
    fn: () => 1,
    cyclic,
  })
  const err = roundTrip(thrown) as MeshError & Record<string, unknown>
  expect(err).toBeInstanceOf(MeshError)
  expect(err.name).toBe('Unregistered')
  expect(err.message).toBe('full')
  expect(err.shelf).toBe(7)
  expect(err.when).toEqual(new Date(0))
  expect(err.tags).toEqual(['a'])
  expect('fn' in err).toBe(false)
  expect('cyclic' in err).toBe(false)
})

test('a field never overrides message, code or name', () => {
  const thrown = Object.assign(new Error('real'), { code: 'E_REAL' })
  const wire = { ...toWireError(thrown), fields: { message: 'fake', code: 'E_FAKE', name: 'Fake', extra: 1 } }
  const err = fromWireError(wire) as MeshError & { extra?: number }
  expect([err.message, err.code, err.name, err.extra]).toEqual(['real', 'E_REAL', 'MeshError', 1])
})

test('cause crosses one level deep', () => {
  const root = new Error('disk full')
  const middle = new Error('write failed', { cause: root })
  const top = new Error('save failed', { cause: middle })
  const err = roundTrip(top)
  const cause = err.cause as MeshError
  expect(cause).toBeInstanceOf(MeshError)
  expect(cause.message).toBe('write failed')
  expect(cause.cause).toBeUndefined()
})

test('a registered class arrives as an instance of itself, with code, message and fields', () => {
  registerErrorClass(OrderNotFoundError)
  const err = roundTrip(new OrderNotFoundError('o-42', 3))
  expect(err).toBeInstanceOf(OrderNotFoundError)
  const order = err as unknown as OrderNotFoundError
  expect([order.message, order.code, order.orderId, order.attempts, order.name]).toEqual([
    'No order o-42',
    'ORDER_NOT_FOUND',
    'o-42',
    3,
    'OrderNotFoundError',
  ])
  expect(order.describe()).toBe('order o-42')
})
