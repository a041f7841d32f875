import type { InterceptedCall, ProviderInterceptor } from './interceptors.js'

/**
 * The provider interceptors of one served call, run in the order they were added. Made only
 * when the mesh has interceptors: a call on a mesh without any pays nothing.
 */
export class ServedInterception {
  readonly #interceptors: readonly ProviderInterceptor[]
  readonly call: InterceptedCall
  #ended = false

  constructor(interceptors: readonly ProviderInterceptor[], call: InterceptedCall) {
    // A copy: an interceptor added while this call runs applies to the next calls only.
    this.#interceptors = [...interceptors]
    this.call = call
  }

  /**
   * The `before` hooks, one after the other; a throw (or rejection) denies the call. Undefined
   * when none is async-capable work to wait for (no `before` hook at all).
   */
  before(): Promise<void> | undefined {
    const hooks = this.#interceptors.filter((i) => i.before)
    if (hooks.length === 0) return undefined
    return hooks.reduce<Promise<void>>(
      (previous, interceptor) => previous.then(() => interceptor.before!(this.call)),
      Promise.resolve(),
    )
  }

  /** A value on its way to the caller, as the `after` hooks leave it. */
  after(value: unknown): unknown {
    let result = value
    for (const interceptor of this.#interceptors)
      if (interceptor.after) result = interceptor.after(this.call, result)
    return result
  }

  /** What the method threw, as the `error` hooks leave it (a hook may return or throw another). */
  error(err: unknown): unknown {
    let current = err
    for (const interceptor of this.#interceptors) {
      if (!interceptor.error) continue
      try {
        const replaced = interceptor.error(this.call, current)
        if (replaced !== undefined) current = replaced
      } catch (thrown) {
        current = thrown
      }
    }
    return current
  }

  /** The call ended, however it ended: each `end` hook runs once. */
  end(): void {
    if (this.#ended) return
    this.#ended = true
    for (const interceptor of this.#interceptors) interceptor.end?.(this.call)
  }
}
