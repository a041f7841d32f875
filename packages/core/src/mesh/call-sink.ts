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
}
