import { Observable } from 'rxjs'
import type { CallSink } from '../mesh/call-sink.js'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { versionOf } from '../protocol/packets.js'
import { satisfiesRange } from '../protocol/version-range.js'
import type { Yielded } from './proxy-types.js'

/** One provider's answer to a fan-out call: its first value, or why it gave none. */
export type FanOutResult<V> = { node_id: string; value: V } | { node_id: string; error: MeshError }

/** The methods of a service, each calling every provider at once (see `RemoteServiceLinker.all`). */
export type FanOut<T> = {
  [K in keyof T as T[K] extends (...args: any[]) => any ? K : never]: T[K] extends (
    ...args: infer A
  ) => infer R
    ? (...args: A) => Observable<FanOutResult<Yielded<R>>>
    : never
}

/** Options of a fan-out: where, and how long each provider may take. */
export interface FanOutOptions {
  service: string
  /** Only this node (a pinned proxy). */
  node_id?: string
  /** Only providers whose version satisfies this semver range. */
  version?: string
  /** Each provider's inactivity window in ms (its answer is then a MICROSERVICE_RPC_TIMEOUT error). */
  timeout: number
}

/**
 * Calls `method` on every provider of the service at once and emits one result per provider —
 * its first value, or its error — then completes when all have answered (each within the
 * timeout). A provider that cannot be reached is an error result, never silence; no provider at
 * all is an error of the Observable (MICROSERVICE_OFFLINE). Unsubscribing cancels every call.
 */
export function fanOut<V>(mesh: SpiderMesh, options: FanOutOptions, method: string, args: unknown[]) {
  return new Observable<FanOutResult<V>>((subscriber) => {
    const { service, version } = options
    const nodes = mesh
      .listNodes(service)
      .filter(
        (n) =>
          (options.node_id === undefined || n.node_id === options.node_id) &&
          (version === undefined || satisfiesRange(versionOf(n, service), version)),
      )
    if (nodes.length === 0) {
      const problem = mesh.connectionProblem()
      const why = problem === undefined ? '' : `: this node is ${problem}`
      subscriber.error(
        new MeshError(
          ErrorCode.MICROSERVICE_OFFLINE,
          `No provider of ${service}${version === undefined ? '' : ` at version ${version}`} to call ${method}() on${why}`,
        ),
      )
      return
    }
    let open = nodes.length
    const done = () => {
      if (--open === 0) subscriber.complete()
    }
    const cancels = nodes.map(({ node_id }) => {
      let answered = false
      let cancel: (() => void) | undefined
      const sink: CallSink<V> = {
        next(value) {
          if (answered) return
          answered = true
          subscriber.next({ node_id, value })
          // The first value is this provider's answer: stop the rest of a stream.
          cancel?.()
          done()
        },
        error(error) {
          if (answered) return
          answered = true
          subscriber.next({ node_id, error })
          done()
        },
        complete() {
          if (answered) return
          answered = true
          subscriber.next({ node_id, value: undefined as V })
          done()
        },
      }
      cancel = mesh.request(
        options.service,
        method,
        args,
        version === undefined
          ? { node_id, timeout: options.timeout }
          : { node_id, timeout: options.timeout, version },
        sink as CallSink,
      )
      if (answered) cancel()
      return cancel
    })
    return () => {
      for (const cancel of cancels) cancel()
    }
  })
}
