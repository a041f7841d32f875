import { findUnserialisable } from './codec.js'
import { ErrorCode } from './error-codes.js'

/** The serialisable shape of an error on the wire. Optional fields are absent, never `undefined`. */
export interface WireError {
  message: string
  code?: string
  name?: string
  data?: unknown
  /** The thrown error's own enumerable fields (`orderId`, …) that can cross the wire. */
  fields?: Record<string, unknown>
  /** Its `cause`, one level deep (the cause's own cause is not carried). */
  cause?: WireError
}

/** Error classes rebuilt on the caller by name (see {@link registerErrorClass}). */
const errorClasses = new Map<string, { prototype: Error }>()

/**
 * Makes errors of this class arrive as instances of it on this node (`instanceof` works), with
 * their message, code and fields. `name` is what the provider's error carries as its `name`
 * (default: the class's name — give it explicitly when a minifier renames classes).
 *
 * @example
 * ```ts
 * class OrderNotFoundError extends Error { constructor(readonly orderId: string) { super(`no order ${orderId}`) } }
 * registerErrorClass(OrderNotFoundError)
 * ```
 */
export function registerErrorClass(
  errorClass: abstract new (...args: any[]) => Error,
  name = errorClass.name,
): void {
  errorClasses.set(name, errorClass)
}

/** Fields every error has its own way of carrying; never copied as fields. */
const RESERVED = new Set(['message', 'code', 'name', 'data', 'stack', 'cause', 'delivered'])
/** A thrown error is not a data transport: at most this many fields cross. */
const MAX_FIELDS = 32

function fieldsOf(source: object): Record<string, unknown> | undefined {
  let fields: Record<string, unknown> | undefined
  let count = 0
  for (const key of Object.keys(source)) {
    if (RESERVED.has(key)) continue
    const value = (source as Record<string, unknown>)[key]
    // What the value codec cannot carry (functions, symbols, cycles) stays behind.
    if (value === undefined || findUnserialisable(value) !== undefined) continue
    fields ??= {}
    fields[key] = value
    if (++count >= MAX_FIELDS) break
  }
  return fields
}

/** The name an error shows: its `name`, or its class's when `name` was left at 'Error'. */
function nameOf(source: { name?: unknown; constructor?: unknown }): string | undefined {
  const name = typeof source.name === 'string' ? source.name : undefined
  if (name !== undefined && name !== 'Error' && name !== 'MeshError') return name
  const ctor = source.constructor as { name?: unknown } | undefined
  if (typeof ctor === 'function' && ctor !== Error && ctor !== MeshError && source instanceof Error) {
    return typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : undefined
  }
  return undefined
}

/**
 * The error every Spider Mesh API throws or emits. `code` is one of {@link ErrorCode} or the
 * application's own code carried across the wire; it is absent when the thrown value had none.
 */
export class MeshError extends Error {
  declare readonly code?: string
  declare readonly data?: unknown
  /**
   * `false` when the request never reached a provider (a relay or transporter refused it): a
   * retry cannot run the method twice. Absent when it was, or may have been, delivered.
   */
  declare readonly delivered?: false

  constructor(code: string | undefined, message: string, options?: { name?: string; data?: unknown }) {
    super(message)
    // Own properties only when present, so `'code' in err` is honest and nothing is `undefined`.
    if (code !== undefined) Object.defineProperty(this, 'code', { value: code, enumerable: true })
    if (options?.data !== undefined)
      Object.defineProperty(this, 'data', { value: options.data, enumerable: true })
    Object.defineProperty(this, 'name', {
      value: options?.name ?? 'MeshError',
      enumerable: false,
      configurable: true,
      writable: true,
    })
  }
}

function describe(value: unknown): string {
  try {
    return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  } catch {
    return String(value)
  }
}

/**
 * Converts anything a provider may throw into a {@link WireError}: message, code, name, data, its
 * own enumerable fields that can cross the wire, and its `cause` one level deep.
 */
export function toWireError(thrown: unknown, withCause = true): WireError {
  if (typeof thrown === 'string') return { message: thrown }
  if (thrown !== null && typeof thrown === 'object') {
    const source = thrown as {
      message?: unknown
      code?: unknown
      name?: unknown
      data?: unknown
      cause?: unknown
    }
    const wire: WireError = {
      message: typeof source.message === 'string' ? source.message : describe(thrown),
    }
    if (typeof source.code === 'string' || typeof source.code === 'number') wire.code = String(source.code)
    const name = nameOf(source)
    if (name !== undefined) wire.name = name
    if (source.data !== undefined && findUnserialisable(source.data) === undefined) wire.data = source.data
    const fields = fieldsOf(source)
    if (fields) wire.fields = fields
    if (withCause && source.cause !== undefined) wire.cause = toWireError(source.cause, false)
    return wire
  }
  return { message: thrown === undefined ? 'Provider threw undefined' : describe(thrown) }
}

/**
 * Turns a {@link WireError} (or anything that looks like one) back into a {@link MeshError} — or,
 * when its name was registered with {@link registerErrorClass}, into an instance of that class —
 * with the thrown error's fields as own properties and its `cause`.
 */
export function fromWireError(wire: unknown, withCause = true): MeshError {
  if (wire === null || typeof wire !== 'object') {
    return new MeshError(ErrorCode.PROTOCOL_ERROR, `Malformed error payload: ${describe(wire)}`)
  }
  const w = wire as Partial<WireError>
  const options: { name?: string; data?: unknown } = {}
  if (typeof w.name === 'string') options.name = w.name
  if (w.data !== undefined) options.data = w.data
  const code = typeof w.code === 'string' ? w.code : undefined
  const message = typeof w.message === 'string' ? w.message : describe(wire)
  const registered = options.name === undefined ? undefined : errorClasses.get(options.name)
  const error = registered
    ? rebuild(registered, code, message, options)
    : new MeshError(code, message, options)
  if (w.fields !== null && typeof w.fields === 'object') {
    for (const [key, value] of Object.entries(w.fields)) {
      // A field never hides what an error already has (message, code, name, methods).
      if (!RESERVED.has(key) && !(key in error)) {
        Object.defineProperty(error, key, { value, enumerable: true, writable: true, configurable: true })
      }
    }
  }
  if (withCause && w.cause !== undefined) {
    Object.defineProperty(error, 'cause', {
      value: fromWireError(w.cause, false),
      configurable: true,
      writable: true,
    })
  }
  return error
}

/** An instance of a registered class, made without running its constructor (its arguments are unknown here). */
function rebuild(
  errorClass: { prototype: Error },
  code: string | undefined,
  message: string,
  options: { name?: string; data?: unknown },
): MeshError {
  const error = Object.create(errorClass.prototype) as MeshError
  const own = (key: string, value: unknown, enumerable: boolean) =>
    Object.defineProperty(error, key, { value, enumerable, writable: true, configurable: true })
  own('message', message, false)
  own('name', options.name, false)
  own('stack', `${options.name}: ${message}`, false)
  if (code !== undefined) own('code', code, true)
  if (options.data !== undefined) own('data', options.data, true)
  return error
}

/** Shorthand for the errors Spider Mesh raises itself. */
export function meshError(code: string, message: string): MeshError {
  return new MeshError(code, message)
}
