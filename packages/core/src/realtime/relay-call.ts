import { type MonoTypeOperatorFunction, retry, throwError, timer } from 'rxjs'
import { DEFAULT_TIMEOUT_MS } from '../api/link-settings.js'
import { RemoteCall } from '../api/remote-call.js'
import type { CallOptions } from '../mesh/call-sink.js'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'

/**
 * A call to a service the relay hosts itself (`$history`, `$presence`, `$records`): an ordinary
 * call, so it has the deadline, cancel and flow control of any other. A unary call times out
 * after the default call timeout; a stream (`stream: true`) has no inactivity timeout — a watch
 * may stay quiet for hours.
 */
export function relayCall<T>(
  mesh: SpiderMesh,
  service: string,
  method: string,
  args: unknown[],
  { stream = false, window }: { stream?: boolean; window?: number } = {},
): RemoteCall<T> {
  const options: CallOptions = { timeout: stream ? 0 : DEFAULT_TIMEOUT_MS }
  return new RemoteCall<T>(
    (sink, tuning) =>
      mesh.request(
        service,
        method,
        args,
        tuning?.window === undefined ? options : { ...options, window: tuning.window },
        sink,
      ),
    window,
  )
}

/** Errors after which a relay-hosted stream is made again: the relay was lost or not reached yet. */
const RECONNECTING = new Set<string>([ErrorCode.MICROSERVICE_OFFLINE, ErrorCode.CLUSTER_UNAVAILABLE])

/**
 * Re-subscribes a relay-hosted stream while the relay cannot be reached (reconnecting, a relay
 * restart), backing off from 100 ms to 2 s; any other error ends the stream. Each capability
 * resynchronises in its first values after a re-subscription (a full value, a full list).
 */
export function retryWhileReconnecting<T>(): MonoTypeOperatorFunction<T> {
  return retry({
    resetOnSuccess: true,
    delay: (err: MeshError, count) =>
      RECONNECTING.has(err?.code ?? '')
        ? timer(Math.min(100 * 2 ** (count - 1), 2000))
        : throwError(() => err),
  })
}
