import { applyPatch, createPatch, type Operation } from 'rfc6902'

/** One RFC 6902 (JSON Patch) operation, as `rfc6902` types it. */
export type JsonPatchOperation = Operation

/**
 * rfc6902 applies a patch in place, so it cannot replace the document itself (path `""`) nor
 * patch a primitive. Applying under a one-key wrapper makes the root an ordinary member: every
 * pointer gains the `/r` prefix, and a whole-document `replace` or `test` works like any other.
 */
const ROOT = '/r'

function rooted(op: Operation): Operation {
  const moved = 'from' in op ? { from: ROOT + op.from } : {}
  return { ...op, path: ROOT + op.path, ...moved } as Operation
}

/**
 * Applies RFC 6902 operations to a copy of `value` (the original is never touched): the new value,
 * or the first failing operation's reason (a failed `test`, a missing path, an unknown op).
 */
export function applyRecordPatch(
  value: unknown,
  ops: readonly JsonPatchOperation[],
): { value: unknown } | { error: string } {
  // Records are JSON, so a JSON round trip is an exact copy — and exists where structuredClone
  // does not (older React Native engines).
  const doc = { r: value === undefined ? null : JSON.parse(JSON.stringify(value)) }
  const results = applyPatch(doc, ops.map(rooted))
  for (let i = 0; i < results.length; i++) {
    const failure = results[i]
    if (failure) return { error: `operation ${i} (${ops[i]?.op} ${ops[i]?.path}): ${failure.message}` }
  }
  return { value: doc.r }
}

/** The RFC 6902 operations that turn `from` into `to` (rfc6902's createPatch; `""` replaces all). */
export function createRecordPatch(from: unknown, to: unknown): JsonPatchOperation[] {
  return createPatch(from, to)
}

/** Whether `ops` is shaped as a JSON Patch: an array of objects with a string `op` and `path`. */
export function isPatchShape(ops: unknown): ops is JsonPatchOperation[] {
  return (
    Array.isArray(ops) &&
    ops.every(
      (op) =>
        typeof op === 'object' &&
        op !== null &&
        typeof (op as { op?: unknown }).op === 'string' &&
        typeof (op as { path?: unknown }).path === 'string' &&
        (!('from' in op) || typeof (op as { from?: unknown }).from === 'string'),
    )
  )
}
