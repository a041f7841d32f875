import type { MeshError } from '../protocol/errors.js'

/** How a sink that pulls (see `CallSink.start`) grants the provider more values. */
export interface CallControl {
  /** The window the call started with (values the provider may send before a grant). */
  readonly window: number
  /** The sink accepts `items` more values (of a call with a `window`). */
  grant(items: number): void
}

/** Receives the outcome of one remote call. An rxjs Subscriber is one; so is a plain object. */
export interface CallSink<T = unknown> {
  next(value: T): void
  error(error: MeshError): void
  complete(): void
  /**
   * Optional: for a call with a `window`, the sink grants credit itself (as its consumer pulls)
   * instead of the mesh granting it as values are delivered. Called once, before any value.
   */
  start?(control: CallControl): void
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
  /**
   * Flow control of a stream: the provider sends at most this many values before the caller
   * grants more (the mesh grants as values are delivered, or the sink does, see `start`).
   * Absent: no flow control (the provider sends as fast as it produces).
   */
  window?: number
  /** `'least-in-flight'`: the router picks the provider with the fewest calls in flight. */
  balance?: 'least-in-flight'
  /** Consistent hashing: the router gives calls with the same key to the same provider. */
  key?: string
}
