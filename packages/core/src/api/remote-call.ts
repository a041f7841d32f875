import { EmptyError, Observable } from 'rxjs'
import type { CallSink } from '../mesh/call-sink.js'

/** Starts a call, reporting to `sink`; returns the function that cancels it. */
export type StartCall<T> = (sink: CallSink<T>) => () => void

/**
 * The result of calling a proxy method: a cold Observable (each subscription is one call;
 * unsubscribing cancels it at the provider) that is also a Promise of the first value.
 * Awaiting takes a path without RxJS subscribers: a unary call does not pay for them.
 */
export class RemoteCall<T> extends Observable<T> implements Promise<T> {
  readonly #start: StartCall<T>
  #promise: Promise<T> | undefined

  constructor(start: StartCall<T>) {
    super((subscriber) => start(subscriber))
    this.#start = start
  }

  get [Symbol.toStringTag](): string {
    return 'RemoteCall'
  }

  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#first().then(onfulfilled, onrejected)
  }

  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#first().catch(onrejected)
  }

  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#first().finally(onfinally)
  }

  /**
   * One call shared by every `then`: resolves with the first value (cancelling the rest of a
   * stream). A stream that completes without a value rejects with RxJS's `EmptyError`, as
   * `firstValueFrom` does and as the upstream spider-mesh contract does: code written against
   * it catches that case, so resolving `undefined` would silently change its meaning.
   */
  #first(): Promise<T> {
    if (this.#promise) return this.#promise
    this.#promise = new Promise<T>((resolve, reject) => {
      let settled = false
      let cancel: (() => void) | undefined
      cancel = this.#start({
        next(value) {
          if (settled) return
          settled = true
          resolve(value)
          cancel?.()
        },
        error(error) {
          if (settled) return
          settled = true
          reject(error)
        },
        complete() {
          if (settled) return
          settled = true
          reject(new EmptyError())
        },
      })
      // The first value may arrive synchronously, before `cancel` was assigned.
      if (settled) cancel()
    })
    return this.#promise
  }
}
