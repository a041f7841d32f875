import { ErrorCode } from './error-codes.js'

/** The serialisable shape of an error on the wire. Optional fields are absent, never `undefined`. */
export interface WireError {
  message: string
  code?: string
  name?: string
  data?: unknown
}

/**
 * The error every Spider Mesh API throws or emits. `code` is one of {@link ErrorCode} or the
 * application's own code carried across the wire; it is absent when the thrown value had none.
 */
export class MeshError extends Error {
  declare readonly code?: string
  declare readonly data?: unknown

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

/** Converts anything a provider may throw into a {@link WireError}, keeping code and message. */
export function toWireError(thrown: unknown): WireError {
  if (typeof thrown === 'string') return { message: thrown }
  if (thrown !== null && typeof thrown === 'object') {
    const source = thrown as { message?: unknown; code?: unknown; name?: unknown; data?: unknown }
    const wire: WireError = {
      message: typeof source.message === 'string' ? source.message : describe(thrown),
    }
    if (typeof source.code === 'string' || typeof source.code === 'number') wire.code = String(source.code)
    if (typeof source.name === 'string' && source.name !== 'Error' && source.name !== 'MeshError') {
      wire.name = source.name
    }
    if (source.data !== undefined) wire.data = source.data
    return wire
  }
  return { message: thrown === undefined ? 'Provider threw undefined' : describe(thrown) }
}

/** Turns a {@link WireError} (or anything that looks like one) back into a {@link MeshError}. */
export function fromWireError(wire: unknown): MeshError {
  if (wire === null || typeof wire !== 'object') {
    return new MeshError(ErrorCode.PROTOCOL_ERROR, `Malformed error payload: ${describe(wire)}`)
  }
  const w = wire as Partial<WireError>
  const options: { name?: string; data?: unknown } = {}
  if (typeof w.name === 'string') options.name = w.name
  if (w.data !== undefined) options.data = w.data
  return new MeshError(
    typeof w.code === 'string' ? w.code : undefined,
    typeof w.message === 'string' ? w.message : describe(wire),
    options,
  )
}

/** Shorthand for the errors Spider Mesh raises itself. */
export function meshError(code: string, message: string): MeshError {
  return new MeshError(code, message)
}
