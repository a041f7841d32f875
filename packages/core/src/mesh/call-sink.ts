import type { MeshError } from '../protocol/errors.js'

/** Receives the outcome of one remote call. An rxjs Subscriber is one; so is a plain object. */
export interface CallSink<T = unknown> {
  next(value: T): void
  error(error: MeshError): void
  complete(): void
}

/** Per-call options the mesh itself enforces. */
export interface CallOptions {
  /** Pin the call to one node. */
  node_id?: string
  /** Inactivity window in ms: fail with MICROSERVICE_RPC_TIMEOUT when no value arrives in time. 0 = none. */
  timeout?: number
  /** A semver range the provider's service version must satisfy (routers pick only such providers). */
  version?: string
  /**
   * When the whole call must be over (epoch ms): it then fails with MICROSERVICE_RPC_TIMEOUT and
   * is cancelled. A call made while serving one inherits that call's deadline when it is sooner.
   */
  deadline?: number
  /** Metadata (string values) sent with the call; the provider reads it in `callContext().meta`. */
  meta?: Record<string, string>
}
