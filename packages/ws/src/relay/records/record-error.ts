import { ErrorCode } from '@spider-mesh/core'

/** A failure of a record operation, with the code (and data) the caller's MeshError carries. */
export class RecordError extends Error {
  readonly code: string
  readonly data: unknown

  constructor(code: string, message: string, data?: unknown) {
    super(message)
    this.code = code
    this.data = data
  }
}

/** The typed error of a write whose `expectedVersion` is not the record's version. */
export function versionConflict(id: string, expected: number, current: number): RecordError {
  return new RecordError(
    ErrorCode.VERSION_CONFLICT,
    `Record "${id}" is at version ${current}, not the expected ${expected}: another writer changed it (read it again and retry)`,
    { version: current },
  )
}
