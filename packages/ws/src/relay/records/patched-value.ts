import { applyRecordPatch, ErrorCode, type JsonPatchOperation } from '@spider-mesh/core'
import { jsonSafetyProblem } from './record-arguments.js'
import { RecordError, versionConflict } from './record-error.js'
import type { RecordState } from './record-store.js'

/**
 * The value a patch makes of the current state, checked as the store would check a write: the
 * expected version first (a conflict is not a patch failure), then every operation, then the
 * result being JSON (a `move` cannot make it otherwise, but an `add` of a huge value can fail
 * encoding later — the check keeps the stored value JSON-safe whatever the ops were).
 */
export function patchedValue(
  id: string,
  current: RecordState,
  ops: JsonPatchOperation[],
  expectedVersion: number | undefined,
): unknown {
  if (expectedVersion !== undefined && expectedVersion !== current.version)
    throw versionConflict(id, expectedVersion, current.version)
  const result = applyRecordPatch(current.value, ops)
  if ('error' in result)
    throw new RecordError(
      ErrorCode.PATCH_FAILED,
      `The patch of record "${id}" (version ${current.version}) failed at ${result.error}; nothing was written`,
    )
  const problem = jsonSafetyProblem(result.value)
  if (problem)
    throw new RecordError(ErrorCode.INVALID_ARGUMENTS, `The patch of record "${id}" makes ${problem}`)
  return result.value
}
