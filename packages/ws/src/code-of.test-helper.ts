import type { MeshError } from '@spider-mesh/core'

/** The error code a promise rejects with; throws when it resolves instead. */
export async function codeOf(promise: PromiseLike<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (err) {
    return (err as MeshError).code
  }
  throw new Error('expected a rejection')
}
