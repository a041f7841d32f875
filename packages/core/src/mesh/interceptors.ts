import type { CallContext } from './call-context.js'
import type { CallOptions } from './call-sink.js'

/** A call as interceptors see it. `state` is theirs: a place to keep e.g. a span from before to after. */
export interface InterceptedCall {
  readonly service: string
  readonly method: string
  readonly args: readonly unknown[]
  /** On the provider: the served call's context (caller, principal, meta, deadline, signal). */
  readonly context: CallContext
  readonly state: Map<unknown, unknown>
}

/**
 * Runs around every call this node serves (`mesh.intercept()`), in the order added. Any hook may
 * be async. `before` may deny the call by throwing (a `MeshError`, or an error with its own
 * code): the method does not run. `after` sees each value (the result, or each value of a
 * stream) and returns the value to send (return it unchanged to keep it). `error` sees what the
 * method threw and returns (or throws) the error the caller gets.
 */
export interface ProviderInterceptor {
  before?(call: InterceptedCall): void | Promise<void>
  after?(call: InterceptedCall, value: unknown): unknown
  error?(call: InterceptedCall, error: unknown): unknown
  /** The call ended (value, error, cancel or deadline): release what `before` took. */
  end?(call: InterceptedCall): void
}

/** A call as a caller-side interceptor sees it, before it is sent. */
export interface OutgoingCall {
  readonly service: string
  readonly method: string
  readonly args: readonly unknown[]
}

/**
 * Runs before every call a mesh (`mesh.interceptCalls()`) or a link (`interceptors` option) sends.
 * `meta` returns metadata to add to the call (e.g. a W3C `traceparent`), merged over the link's
 * `meta`; the provider reads it in `callContext().meta`.
 */
export interface CallerInterceptor {
  meta?(call: OutgoingCall): Record<string, string> | undefined
}

/** The options of one call with the metadata the interceptors add (the options unchanged if none). */
export function interceptedOptions(
  options: CallOptions,
  interceptors: readonly CallerInterceptor[],
  call: OutgoingCall,
): CallOptions {
  let meta: Record<string, string> | undefined
  for (const interceptor of interceptors) {
    const added = interceptor.meta?.(call)
    if (added) meta = { ...(meta ?? options.meta), ...added }
  }
  return meta === undefined ? options : { ...options, meta }
}
