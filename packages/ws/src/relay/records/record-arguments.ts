import { ErrorCode, isPatchShape, type JsonPatchOperation } from '@spider-mesh/core'
import { RecordError } from './record-error.js'

/** Longest record id (characters), as the relay's other names. */
export const MAX_RECORD_ID_LENGTH = 256
/** Deepest nesting of a record value (the value codec refuses deeper ones anyway). */
const MAX_DEPTH = 64

function invalid(message: string): RecordError {
  return new RecordError(ErrorCode.INVALID_ARGUMENTS, message)
}

/**
 * What makes `value` not JSON (a path and a reason), or undefined when it is: records are JSON
 * documents, so RFC 6902 paths, patches and the NATS KV copy all mean the same thing everywhere.
 */
export function jsonSafetyProblem(value: unknown, path = 'the value', depth = 0): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} a non-finite number`
  if (depth > MAX_DEPTH) return `${path} nested deeper than ${MAX_DEPTH} levels`
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonSafetyProblem(value[i], `${path}[${i}]`, depth + 1)
      if (problem) return problem
    }
    return undefined
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      const problem = jsonSafetyProblem(item, `${path}.${key}`, depth + 1)
      if (problem) return problem
    }
    return undefined
  }
  const kind = value instanceof Uint8Array ? 'binary' : value instanceof Date ? 'a Date' : typeof value
  return `${path} ${kind} (records hold JSON: objects, arrays, strings, finite numbers, booleans, null)`
}

export function recordId(value: unknown, method: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RECORD_ID_LENGTH)
    throw invalid(
      `$records.${method}: the record id must be a string of 1 to ${MAX_RECORD_ID_LENGTH} characters, got ${describe(value)}`,
    )
  return value
}

export function recordValue(value: unknown, id: string): unknown {
  const problem = jsonSafetyProblem(value)
  if (problem) throw invalid(`The value written to record "${id}" is not JSON: ${problem}`)
  return value
}

export function expectedVersionOf(value: unknown, id: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw invalid(
      `expectedVersion of record "${id}" must be an integer ≥ 0 (0: must not exist yet), got ${describe(value)}`,
    )
  return value
}

export function patchOps(value: unknown, id: string): JsonPatchOperation[] {
  if (!isPatchShape(value))
    throw invalid(
      `The patch of record "${id}" must be an array of RFC 6902 operations ({ op, path, … }), got ${describe(value)}`,
    )
  const problem = jsonSafetyProblem(value, 'the patch')
  if (problem) throw invalid(`The patch of record "${id}" is not JSON: ${problem}`)
  return value
}

export type WatchMode = 'full' | 'patch'

export function watchMode(value: unknown): WatchMode {
  if (value === undefined || value === null || value === 'full') return 'full'
  if (value === 'patch') return 'patch'
  throw invalid(`$records.watch: mode must be 'full' or 'patch', got ${describe(value)}`)
}

function describe(value: unknown): string {
  const text = JSON.stringify(value)
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 60)}…` : text
}
