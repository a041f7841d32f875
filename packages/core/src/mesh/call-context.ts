import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import type { RpcRequestPacket } from '../protocol/packets.js'

/** What a provider method can know about the call it is serving (see {@link callContext}). */
export interface CallContext {
  /** The service and method being called. */
  readonly service: string
  readonly method: string
  /** The calling node's id, as the relay stamped it (undefined in-process without one). */
  readonly callerId: string | undefined
  /** Who the relay authenticated the caller as (its `authenticate` result); never the caller's say. */
  readonly principal: unknown
  /** Metadata the caller (or its interceptors) attached to the call. */
  readonly meta: Readonly<Record<string, string>>
  /** When the whole call must be over (epoch ms), if the caller set a deadline. */
  readonly deadline: number | undefined
  /** Fires when the caller cancels, the caller is gone, or the deadline passes. */
  readonly signal: AbortSignal
}

/**
 * Where the context of the running call is kept across `await`s: Node's and Bun's
 * `AsyncLocalStorage` fits (`@spider-mesh/ws/node` installs one).
 */
export interface ContextStorage {
  /** Runs `fn(...args)` with `context` as the store (AsyncLocalStorage's signature). */
  run<R, A extends unknown[]>(context: CallContext, fn: (...args: A) => R, ...args: A): R
  getStore(): CallContext | undefined
}

const EMPTY_META: Readonly<Record<string, string>> = Object.freeze({})
let storage: ContextStorage | undefined
/** The context of the method running synchronously right now (the fallback without storage). */
let current: CallContext | undefined

/**
 * Makes {@link callContext} work after `await`s too, by keeping the context in `storage` (an
 * `AsyncLocalStorage`). Without it, `callContext()` answers only in the synchronous part of a
 * provider method (read it first thing). `@spider-mesh/ws/node` calls this for you; `null`
 * goes back to the synchronous fallback.
 */
export function useContextStorage(next: ContextStorage | null): void {
  if (next === null) {
    storage = undefined
    return
  }
  if (typeof next?.run !== 'function' || typeof next.getStore !== 'function') {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      'useContextStorage() needs an AsyncLocalStorage-like object',
    )
  }
  storage = next
}

/**
 * The context of the call the current provider method is serving, or undefined outside one.
 *
 * @example
 * import { callContext, Microservice } from '@spider-mesh/core'
 *
 * @Microservice()
 * class Reports {
 *   async build(id: string) {
 *     const { signal, deadline, principal } = callContext()!
 *     return fetchReport(id, { signal })
 *   }
 * }
 */
export function callContext(): CallContext | undefined {
  return storage?.getStore() ?? current
}

/**
 * Calls `fn` on `self` with `args` (a provider method) with `context` as the current call
 * context — without a closure per call: this runs for every call a node serves.
 */
export function applyInContext(
  context: CallContext,
  fn: (...args: unknown[]) => unknown,
  self: unknown,
  args: unknown[],
): unknown {
  if (storage) return storage.run(context, Reflect.apply, fn, self, args)
  const previous = current
  current = context
  try {
    return fn.apply(self, args)
  } finally {
    current = previous
  }
}

/** Runs `fn` (the provider method) with `context` as the current call context. */
export function runInContext<R>(context: CallContext, fn: () => R): R {
  if (storage) return storage.run(context, fn)
  const previous = current
  current = context
  try {
    return fn()
  } finally {
    current = previous
  }
}

/**
 * The context of one served call. The AbortSignal (and the deadline's timer) are made only when
 * the method asks for the signal: most methods never do, and a call should not pay for them.
 */
export class ServedContext implements CallContext {
  readonly #packet: RpcRequestPacket
  #controller: AbortController | undefined
  #timer: ReturnType<typeof setTimeout> | undefined
  #stopped: string | undefined
  #stoppedCode: string | undefined

  constructor(packet: RpcRequestPacket) {
    this.#packet = packet
  }

  get service(): string {
    return this.#packet.service
  }
  get method(): string {
    return this.#packet.method
  }
  get callerId(): string | undefined {
    return this.#packet.source_node_id
  }
  get principal(): unknown {
    return this.#packet.principal
  }
  get meta(): Readonly<Record<string, string>> {
    return this.#packet.meta ?? EMPTY_META
  }
  get deadline(): number | undefined {
    return this.#packet.deadline
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal
    const controller = new AbortController()
    this.#controller = controller
    if (this.#stopped !== undefined) controller.abort(abortReason(this.#stopped, this.#stoppedCode))
    else if (this.#packet.deadline !== undefined) {
      const left = this.#packet.deadline - Date.now()
      if (left <= 0) controller.abort(abortReason('the deadline passed'))
      else this.#timer = setTimeout(() => this.stop('the deadline passed'), left)
    }
    return controller.signal
  }

  /**
   * The call was cancelled, its caller is gone, or its deadline passed: fire the signal. `code`
   * is the caller's reason when its Cancel carried one (it timed out), else the code follows `why`.
   */
  stop(why: string, code?: string): void {
    if (this.#stopped !== undefined) return
    // A plain cancel that comes once the deadline passed is the deadline's doing (a caller from
    // before Cancel reasons gave up on it): say so, whichever this process noticed first.
    const deadline = this.#packet.deadline
    const late = code === undefined && deadline !== undefined && Date.now() >= deadline
    this.#stopped = late ? 'the deadline passed' : why
    this.#stoppedCode = late ? undefined : code
    this.#release()
    this.#controller?.abort(abortReason(this.#stopped, this.#stoppedCode))
  }

  /** The call ended normally: nothing will fire. */
  end(): void {
    this.#stopped ??= 'the call ended'
    this.#release()
  }

  #release(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

function abortReason(why: string, code?: string): MeshError {
  return new MeshError(
    code === ErrorCode.MICROSERVICE_RPC_TIMEOUT || why === 'the deadline passed'
      ? ErrorCode.MICROSERVICE_RPC_TIMEOUT
      : ErrorCode.CALL_CANCELLED,
    `The call was stopped: ${why}`,
  )
}
