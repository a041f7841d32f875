import type { MeshError } from '../protocol/errors.js'
import type { CallOptions, CallSink } from './call-sink.js'
import type { SpiderMesh } from './spider-mesh.js'

/**
 * How long to wait before sending a failed call again (`attempt` counts from 1), or undefined to
 * give the error to the caller.
 */
export type RetryDelay = (error: MeshError, attempt: number) => number | undefined

/**
 * Sends one call, and sends it again after `delayOf`'s delay while it says so. A call that has
 * emitted a value is never sent again (its values would repeat). Returns the cancel function,
 * which also stops a retry that is waiting. The policies differ (a proxy's `retry` and its
 * idempotency rules; a relay-hosted call waiting for its relay), the loop is this one.
 */
export function retriedRequest(
  mesh: SpiderMesh,
  service: string,
  method: string,
  args: unknown[],
  options: CallOptions,
  sink: CallSink,
  delayOf: RetryDelay,
): () => void {
  let attempt = 0
  let emitted = false
  let cancelCurrent: () => void = () => {}
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  const policy: CallSink = {
    next(value) {
      emitted = true
      sink.next(value)
    },
    complete() {
      sink.complete()
    },
    error(error) {
      const delay = emitted ? undefined : delayOf(error, attempt + 1)
      if (delay === undefined) {
        sink.error(error)
        return
      }
      attempt++
      retryTimer = setTimeout(go, delay)
    },
  }
  const go = () => {
    retryTimer = undefined
    cancelCurrent = mesh.request(service, method, args, options, policy)
  }
  go()
  return () => {
    if (retryTimer) clearTimeout(retryTimer)
    cancelCurrent()
  }
}
