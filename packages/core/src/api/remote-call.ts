import { EmptyError, Observable, type Subscriber } from 'rxjs'
import type { CallControl, CallSink } from '../mesh/call-sink.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { MAX_CREDIT } from '../protocol/frames.js'
import { checkedBalance } from './link-settings.js'
import type { Balance } from './proxy-types.js'

/** Per-call choices of a RemoteCall (`withWindow`, `withBalance`). */
export interface CallTuning {
  /** Given when the call is consumed as a stream (subscribed or iterated): flow control applies. */
  window?: number
  /** Replaces the link's balance for this call. */
  balance?: Balance
}

/** How a started call is cancelled: a function, or an object's `unsubscribe()` (no function per call). */
export type CallStop = (() => void) | { unsubscribe(): void }

/** Cancels a started call, whichever form its {@link CallStop} has. */
export function stopCall(stop: CallStop): void {
  if (typeof stop === 'function') stop()
  else stop.unsubscribe()
}

/**
 * Starts a call, reporting to `sink`; returns what cancels it. `args` are the RemoteCall's own
 * (see its constructor): one start function can serve every call of a method.
 */
export type StartCall<T> = (sink: CallSink<T>, tuning?: CallTuning, args?: unknown[]) => CallStop

/**
 * The result of calling a proxy method: a cold Observable (each subscription is one call;
 * unsubscribing cancels it at the provider) that is also a Promise of the first value, and an
 * AsyncIterable (`for await`) that takes values as the loop pulls them.
 * Awaiting takes a path without RxJS subscribers: a unary call does not pay for them.
 */
export class RemoteCall<T> extends Observable<T> implements Promise<T>, AsyncIterable<T> {
  readonly #start: StartCall<T>
  readonly #args: unknown[] | undefined
  readonly #window: number | undefined
  readonly #balance: Balance | undefined
  #promise: Promise<T> | undefined

  /**
   * `window`: the flow control window of subscribed and iterated calls (none when absent);
   * `balance`: this call's balancing, when it replaces the link's; `args`: handed to `start`
   * with each start, so a proxy method needs no closure per call (two objects of each awaited
   * call, by the census).
   */
  constructor(start: StartCall<T>, window?: number, balance?: Balance, args?: unknown[]) {
    super()
    this.#start = start
    this.#args = args
    this.#window = window
    this.#balance = balance
  }

  /**
   * Each subscription is one call. RxJS calls this member of an Observable built without a
   * subscribe function: a method, so an awaited call (the common unary case) does not build one
   * (two objects per call, counted by the bench's census).
   */
  protected _subscribe(subscriber: Subscriber<T>): CallStop {
    return this.#start(subscriber, tuning(this.#window, this.#balance), this.#args)
  }

  get [Symbol.toStringTag](): string {
    return 'RemoteCall'
  }

  /**
   * The same call with another flow control window: the provider sends at most `items` values
   * ahead of what the subscriber (or `for await` loop) has taken.
   */
  withWindow(items: number): RemoteCall<T> {
    if (!Number.isInteger(items) || items < 1 || items > MAX_CREDIT) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `withWindow() needs an integer from 1 to ${MAX_CREDIT}, got ${JSON.stringify(items)}`,
      )
    }
    return new RemoteCall(this.#start, items, this.#balance, this.#args)
  }

  /**
   * The same call balanced another way than its link: `'round-robin'`, `'least-in-flight'` or
   * `{ hash: (args) => key }` (see `LinkOptions.balance`).
   */
  withBalance(balance: Balance): RemoteCall<T> {
    if (checkedBalance(balance) === undefined && balance !== 'round-robin') {
      throw new MeshError(ErrorCode.INVALID_OPTION, `withBalance() needs a balance, got ${String(balance)}`)
    }
    return new RemoteCall(this.#start, this.#window, balance, this.#args)
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
   * `for await (const value of proxy.stream())`: one call whose values are granted to the
   * provider as the loop takes them, so a slow loop slows the provider (never a growing buffer).
   * Leaving the loop (`break`, `return`, a throw) cancels the call.
   */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const queue: T[] = []
    let ended = false
    let failure: MeshError | undefined
    let wake: (() => void) | undefined
    let control: CallControl | undefined
    let taken = 0
    const notify = () => {
      const resume = wake
      wake = undefined
      resume?.()
    }
    const cancel = this.#start(
      {
        start(c) {
          control = c
        },
        next(value) {
          queue.push(value)
          notify()
        },
        error(error) {
          failure = error
          ended = true
          notify()
        },
        complete() {
          ended = true
          notify()
        },
      },
      tuning(this.#window, this.#balance),
      this.#args,
    )
    return {
      next: async (): Promise<IteratorResult<T>> => {
        while (queue.length === 0 && !ended) await new Promise<void>((resolve) => (wake = resolve))
        if (queue.length > 0) {
          const value = queue.shift()!
          // Credit goes back in halves of the window: the provider keeps busy, never far ahead.
          if (control && ++taken * 2 >= control.window) {
            control.grant(taken)
            taken = 0
          }
          return { value, done: false }
        }
        if (failure) throw failure
        return { value: undefined, done: true }
      },
      return: async (): Promise<IteratorResult<T>> => {
        ended = true
        stopCall(cancel)
        return { value: undefined, done: true }
      },
    }
  }

  /**
   * One call shared by every `then`: resolves with the first value (cancelling the rest of a
   * stream). A stream that completes without a value rejects with RxJS's `EmptyError`, as
   * `firstValueFrom` does and as the upstream spider-mesh contract does: code written against
   * it catches that case, so resolving `undefined` would silently change its meaning.
   */
  #first(): Promise<T> {
    if (this.#promise) return this.#promise
    // A shared executor, not a closure per call (two objects per awaited call, by the census).
    const promise = new Promise<T>(capture as never)
    const sink = new FirstValue<T>(captured.resolve as (value: T) => void, captured.reject)
    captured.resolve = captured.reject = noop
    this.#promise = promise
    try {
      sink.cancel = this.#start(
        sink,
        this.#balance === undefined ? undefined : { balance: this.#balance },
        this.#args,
      )
    } catch (err) {
      // What the executor did for a throw: the call's promise rejects with it.
      sink.error(err as MeshError)
      return promise
    }
    // The first value may arrive synchronously, before `cancel` was assigned.
    if (sink.settled) stopCall(sink.cancel)
    return promise
  }
}

const noop = () => {}
/** Where {@link capture} leaves the resolving functions of the promise being made. */
const captured: { resolve: (value: unknown) => void; reject: (reason: unknown) => void } = {
  resolve: noop,
  reject: noop,
}
/** The executor of every awaited call's promise: it runs synchronously inside `new Promise`. */
function capture(resolve: (value: unknown) => void, reject: (reason: unknown) => void): void {
  captured.resolve = resolve
  captured.reject = reject
}

/**
 * The sink of an awaited call: the first value resolves (and cancels the rest of a stream), an
 * error rejects, and completing without a value rejects with `EmptyError`. A class, so an
 * awaited call — the common unary case — does not make three closures for its sink.
 */
class FirstValue<T> implements CallSink<T> {
  settled = false
  cancel: CallStop | undefined
  readonly #resolve: (value: T) => void
  readonly #reject: (reason: unknown) => void

  constructor(resolve: (value: T) => void, reject: (reason: unknown) => void) {
    this.#resolve = resolve
    this.#reject = reject
  }

  next(value: T): void {
    if (this.settled) return
    this.settled = true
    this.#resolve(value)
    if (this.cancel !== undefined) stopCall(this.cancel)
  }

  error(error: MeshError): void {
    if (this.settled) return
    this.settled = true
    this.#reject(error)
  }

  complete(): void {
    if (this.settled) return
    this.settled = true
    this.#reject(new EmptyError())
  }
}

function tuning(window: number | undefined, balance: Balance | undefined): CallTuning | undefined {
  if (balance === undefined) return window === undefined ? undefined : { window }
  return window === undefined ? { balance } : { window, balance }
}
