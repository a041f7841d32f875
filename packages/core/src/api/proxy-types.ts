import type { Observable } from 'rxjs'
import type { CallerInterceptor } from '../mesh/interceptors.js'
import type { NodeRef } from '../protocol/packets.js'
import type { RemoteCall } from './remote-call.js'

/**
 * The value type a provider method yields: unwraps Promise, Observable, AsyncIterable (an async
 * generator) and a Promise of either.
 */
export type Yielded<R> =
  Awaited<R> extends Observable<infer V> ? V : Awaited<R> extends AsyncIterable<infer V> ? V : Awaited<R>

/** A provider method as seen through a proxy: same arguments, returns a {@link RemoteCall}. */
export type RemoteMethod<F> = F extends (...args: infer A) => infer R
  ? (...args: A) => RemoteCall<Yielded<R>>
  : never

/** Options of `wait()`. */
export interface WaitOptions {
  /** Give up after this many ms with `MICROSERVICE_OFFLINE`. Default: wait until the mesh closes. */
  timeout?: number
}

/** The control members every proxy has besides the remote methods. */
export interface ProxyControls {
  /** Resolves when at least one provider (the pinned node, if set; of the `version`, if set) is available. */
  wait(options?: WaitOptions): Promise<void>
  /** The providers of the service: the current list at once, then every change. */
  watch(): Observable<NodeRef[]>
  /** The providers of the service right now. */
  readonly nodes: NodeRef[]
  /** Changes options for the calls made after it (e.g. pin `node_id`, change `timeout`). */
  set(options: Partial<Omit<LinkOptions, 'service'>>): void
}

/** Names a proxy uses itself; remote methods with these names are reached with `RemoteServiceLinker.invoke()`. */
export type ReservedName = keyof ProxyControls | 'then' | 'constructor'

/** The typed proxy returned by `RemoteServiceLinker.link<T>()`. */
export type RemoteService<T> = {
  [K in keyof T as K extends ReservedName
    ? never
    : T[K] extends (...args: any[]) => any
      ? K
      : never]: RemoteMethod<T[K]>
} & ProxyControls

/** Options of `RemoteServiceLinker.link()`. */
export interface LinkOptions {
  /** The service name (the provider class name, or its `@Microservice({ name })`). */
  service: string
  /** Inactivity window per value in ms; fails with `MICROSERVICE_RPC_TIMEOUT`. Default 30000; 0 disables. */
  timeout?: number
  /**
   * Retries before any value arrived: a count, or `{ count, delayMs }`. Default 0. A call is
   * retried only when it never reached a provider (`MICROSERVICE_OFFLINE`, `OVERLOADED` or
   * `CLUSTER_UNAVAILABLE` from a relay or the transporter), unless its method is `idempotent`.
   */
  retry?: number | { count: number; delayMs?: number }
  /**
   * Methods that are safe to run twice (`true`: all of them): their calls are also retried when
   * the provider was reached but lost (`MICROSERVICE_OFFLINE` mid-call). `false`: none, whatever
   * the providers say. Default: the methods every provider that has them marks `@Idempotent()`.
   */
  idempotent?: boolean | string[]
  /**
   * A semver range (`'^2'`, `'>=1.4 <3'`): calls go only to providers whose
   * `@Microservice({ version })` satisfies it, and `wait()`, `watch()` and `nodes` list only
   * those. Providers without a version never match. Default: any provider.
   */
  version?: string
  /** Delay between retries in ms when `retry` is a number. Default 1000. */
  retryDelayMs?: number
  /** When present (even `null` or `0`), emitted instead of any error, then the call completes. */
  fallback?: unknown
  /** Pin every call to this node id instead of round-robin. */
  node_id?: string
  /**
   * When every call of this proxy must be over: a Date or epoch ms. Unlike `timeout` (an
   * inactivity window per value), it bounds the whole call; the provider sees it
   * (`callContext().deadline`, and its `signal` fires then), and calls it makes meanwhile inherit it.
   */
  deadline?: Date | number
  /** The same as `deadline`, relative: each call must be over this many ms after it starts. */
  deadlineMs?: number
  /** Metadata (string values) sent with every call; the provider reads `callContext().meta`. */
  meta?: Record<string, string>
  /**
   * Flow control of streams: values the provider may send ahead of what a subscriber (or a
   * `for await` loop) has taken; more are granted as they are taken, so a slow consumer slows
   * the provider instead of filling buffers. Per call: `proxy.method().withWindow(n)`. `await`
   * takes the first value and needs none. Default 128.
   */
  window?: number
  /**
   * How the relay picks a provider: `'round-robin'` (the default), `'least-in-flight'` (the one
   * with the fewest calls in flight through the relay), or `{ hash: (args) => key }` — consistent
   * hashing: calls with the same key go to the same provider while it is there, and when one
   * joins or leaves only its share of keys moves. Per call: `proxy.method().withBalance(b)`.
   */
  balance?: Balance
  /** Caller-side interceptors of this link's calls (metadata); the mesh's run after them, so theirs wins. */
  interceptors?: CallerInterceptor[]
}

/** A balancing choice (see `LinkOptions.balance`). */
export type Balance = 'round-robin' | 'least-in-flight' | { hash: (args: unknown[]) => string | number }
