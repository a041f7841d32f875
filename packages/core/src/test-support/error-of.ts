import type { MeshError } from '../protocol/errors.js'

/** The error a call rejects with; fails the test if it resolves instead. */
export function errorOf(promise: PromiseLike<unknown>): Promise<MeshError> {
  return Promise.resolve(promise).then(
    () => {
      throw new Error('expected a rejection')
    },
    (err: MeshError) => err,
  )
}
