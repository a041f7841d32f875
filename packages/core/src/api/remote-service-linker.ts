import { filter, firstValueFrom, map, type Observable, race, take, timer } from 'rxjs'
import type { CallSink } from '../mesh/call-sink.js'
import { interceptedOptions } from '../mesh/interceptors.js'
import { retriedRequest } from '../mesh/retried-request.js'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { type NodeRef, versionOf } from '../protocol/packets.js'
import { satisfiesRange } from '../protocol/version-range.js'
import { type FanOut, fanOut } from './fan-out.js'
import { type Settings, validate, withKey, withRelativeDeadline } from './link-settings.js'
import type { LinkOptions, RemoteService, WaitOptions } from './proxy-types.js'
import { type CallStop, type CallTuning, RemoteCall, type StartCall } from './remote-call.js'

/** Property names that must never turn into remote calls: `await proxy`, inspectors, test matchers. */
const NOT_REMOTE = new Set([
  'then',
  'constructor',
  'toJSON',
  'inspect',
  'asymmetricMatch',
  '$$typeof',
  'nodeType',
])

/** The settings and mesh behind a proxy, so `invoke()` can reach them. */
const proxyState = new WeakMap<object, { mesh: SpiderMesh; settings: Settings }>()

/**
 * Starts one call with the proxy's policies. Without retry or fallback the caller's sink goes
 * straight to the mesh: the common case allocates nothing extra.
 */
function startCall(
  mesh: SpiderMesh,
  s: Settings,
  method: string,
  args: unknown[],
  sink: CallSink,
  tuning?: CallTuning,
): CallStop {
  // A subscriber or an iterator consumes a stream: it gets a window (flow control).
  const window = tuning?.window
  let options =
    window === undefined
      ? s.callOptions
      : window === s.window
        ? s.streamOptions
        : { ...s.callOptions, window }
  if (s.deadlineMs !== undefined) options = withRelativeDeadline(options, s.deadlineMs)
  if (s.interceptors.length > 0)
    options = interceptedOptions(options, s.interceptors, { service: s.service, method, args })
  // A per-call balance (withBalance) replaces the link's.
  const balance = tuning?.balance === undefined ? s.balance : tuning.balance
  if (balance !== s.balance) {
    const { balance: _linkBalance, ...rest } = options
    options = balance === 'least-in-flight' ? { ...rest, balance } : rest
  }
  if (typeof balance === 'object') {
    try {
      options = withKey(options, balance, args)
    } catch (err) {
      sink.error(err as MeshError)
      return () => {}
    }
  }
  // The call itself is its cancel handle: no function per call.
  if (s.retries === 0 && !s.hasFallback) return mesh.startRequest(s.service, method, args, options, sink)

  // The provider that was lost is gone from the directory when the error arrives: ask which
  // providers mark the method idempotent while they are still listed, and again at the error.
  const markedAtStart =
    s.idempotent === 'marked' && markedIdempotent(providersNow(mesh, s), s.service, method)
  const marked = () => markedAtStart || markedIdempotent(providersNow(mesh, s), s.service, method)
  const caller: CallSink = s.hasFallback
    ? {
        next: (value) => sink.next(value),
        complete: () => sink.complete(),
        error: () => {
          sink.next(s.fallback)
          sink.complete()
        },
      }
    : sink
  return retriedRequest(mesh, s.service, method, args, options, caller, (error, attempt) =>
    attempt <= s.retries && retryable(error, method, s, marked) ? s.retryDelayMs : undefined,
  )
}

/** Codes that say the call could not be served now, and may be later. */
const RETRY_CODES = new Set<string>([
  ErrorCode.MICROSERVICE_OFFLINE,
  ErrorCode.OVERLOADED,
  ErrorCode.CLUSTER_UNAVAILABLE,
])

/**
 * Whether a failed call may be sent again. A call that never reached a provider (`delivered:
 * false`, marked by a relay or transporter and unspoofable by providers) is safe to resend. One
 * that reached a provider may have run: it is resent only for a method declared idempotent, and
 * only when the provider was lost (not for its own errors, whose mesh-looking codes arrive as
 * `REMOTE_…`).
 */
function retryable(error: MeshError, method: string, s: Settings, marked: () => boolean): boolean {
  if (error.code === undefined || !RETRY_CODES.has(error.code)) return false
  if (error.delivered === false) return true
  const declared = s.idempotent
  if (declared === 'marked') return marked()
  return declared === true || (declared !== false && declared.has(method))
}

/**
 * Whether the providers mark `method` `@Idempotent()`: every provider that announced the method
 * must say so (a provider built from an older class may not), and at least one must.
 */
function markedIdempotent(nodes: NodeRef[], service: string, method: string): boolean {
  let marked = false
  for (const node of nodes) {
    const info = node.catalog?.[service]
    if (!info?.methods.includes(method)) continue
    if (!info.idempotent?.includes(method)) return false
    marked = true
  }
  return marked
}

/**
 * Creates typed proxies for remote services.
 *
 * @example
 * import { RemoteServiceLinker } from '@spider-mesh/core'
 *
 * type GreetingService = { hello(name: string): Promise<string> }
 *
 * const greeter = RemoteServiceLinker.link<GreetingService>(mesh, { service: 'GreetingService', timeout: 5000 })
 * await greeter.wait()
 * console.log(await greeter.hello('world'))
 */
export const RemoteServiceLinker = {
  /**
   * Returns a proxy whose methods call the service's providers. Each call is a cold Observable
   * that is also awaitable.
   */
  link<T>(mesh: SpiderMesh, options: LinkOptions): RemoteService<T> {
    if (!mesh || typeof (mesh as Partial<SpiderMesh>).request !== 'function') {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        'RemoteServiceLinker.link() needs a SpiderMesh as its first argument',
      )
    }
    const state = { mesh, settings: validate(options ?? {}) }
    // Relays send a node the directory entries of the services it uses, not every join.
    mesh.declareInterest(state.settings.service)
    const methods = new Map<string, (...args: unknown[]) => RemoteCall<unknown>>()
    const controls = {
      wait: (waitOptions?: WaitOptions) => waitForProvider(mesh, state.settings, waitOptions),
      watch: (): Observable<NodeRef[]> => watchProviders(mesh, state.settings),
      set: (next: Partial<Omit<LinkOptions, 'service'>>) => {
        state.settings = validate({ ...next, service: state.settings.service }, state.settings)
      },
    }
    const proxy = new Proxy(Object.create(null) as object, {
      get(_target, prop) {
        if (typeof prop === 'symbol' || NOT_REMOTE.has(prop)) return undefined
        if (prop === 'nodes') return providersNow(mesh, state.settings)
        if (prop === 'wait' || prop === 'watch' || prop === 'set') return controls[prop]
        if (prop === 'toString' || prop === 'valueOf')
          return () => `[RemoteService ${state.settings.service}]`
        let fn = methods.get(prop)
        if (!fn) {
          // One start function per method; each call's arguments travel in its RemoteCall.
          const start: StartCall<unknown> = (sink, tuning, args) =>
            startCall(mesh, state.settings, prop, args!, sink, tuning)
          fn = (...args: unknown[]) => new RemoteCall(start, state.settings.window, undefined, args)
          methods.set(prop, fn)
        }
        return fn
      },
      has: () => false,
      set: () => false,
    })
    proxyState.set(proxy, state)
    return proxy as RemoteService<T>
  },

  /**
   * Fan-out: the service's methods, each calling every provider at once. A call emits one
   * `{ node_id, value }` or `{ node_id, error }` per provider and completes when all answered (each
   * within the proxy's `timeout`, or `options.timeout`).
   *
   * @example
   * ```ts
   * RemoteServiceLinker.all(cache).flush().subscribe(({ node_id, ...r }) => console.log(node_id, r))
   * ```
   */
  all<T>(proxy: RemoteService<T>, options: { timeout?: number } = {}): FanOut<T> {
    const state = proxyState.get(proxy)
    if (!state)
      throw new MeshError(ErrorCode.INVALID_OPTION, 'all() needs a proxy made by RemoteServiceLinker.link()')
    const timeout = options.timeout ?? state.settings.timeout
    if (typeof timeout !== 'number' || !(timeout >= 0))
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `all(): timeout must be a number of ms >= 0, got ${timeout}`,
      )
    return new Proxy(Object.create(null) as object, {
      get(_target, prop) {
        if (typeof prop === 'symbol' || prop === 'then') return undefined
        const { service, node_id, version } = state.settings
        const target = {
          service,
          timeout,
          ...(node_id === undefined ? {} : { node_id }),
          ...(version === undefined ? {} : { version }),
        }
        return (...args: unknown[]) => fanOut(state.mesh, target, prop, args)
      },
    }) as FanOut<T>
  },

  /** Calls a remote method whose name the proxy reserves (`wait`, `watch`, `nodes`, `set`, `then`). */
  invoke<V = unknown>(proxy: object, method: string, ...args: unknown[]): RemoteCall<V> {
    const state = proxyState.get(proxy)
    if (!state)
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        'invoke() needs a proxy made by RemoteServiceLinker.link()',
      )
    return new RemoteCall<V>(
      (sink, tuning) => startCall(state.mesh, state.settings, method, args, sink as CallSink, tuning),
      state.settings.window,
    )
  },
}

/** The providers a proxy's calls may go to: the pinned node, those of the version range. */
function matches(nodes: NodeRef[], s: Settings): NodeRef[] {
  const { node_id, version, service } = s
  if (node_id === undefined && version === undefined) return nodes
  return nodes.filter(
    (n) =>
      (node_id === undefined || n.node_id === node_id) &&
      (version === undefined || satisfiesRange(versionOf(n, service), version)),
  )
}

function providersNow(mesh: SpiderMesh, s: Settings): NodeRef[] {
  return matches(mesh.listNodes(s.service), s)
}

function watchProviders(mesh: SpiderMesh, s: Settings): Observable<NodeRef[]> {
  return mesh.watchService(s.service).pipe(map((nodes) => matches(nodes, s)))
}

function waitForProvider(mesh: SpiderMesh, s: Settings, options: WaitOptions = {}): Promise<void> {
  if (mesh.closed) {
    return Promise.reject(
      new MeshError(ErrorCode.MESH_CLOSED, `Cannot wait for ${s.service}: the mesh is closed`),
    )
  }
  const available = watchProviders(mesh, s).pipe(
    filter((nodes) => nodes.length > 0),
    map(() => undefined),
  )
  const closed = mesh.closing$.pipe(
    map(() => {
      throw new MeshError(ErrorCode.MESH_CLOSED, `Stopped waiting for ${s.service}: the mesh was closed`)
    }),
  )
  const sources: Observable<undefined>[] = [available, closed]
  if (options.timeout !== undefined) {
    const range = s.version === undefined ? '' : ` at version ${s.version}`
    const target =
      s.node_id === undefined
        ? `provider of ${s.service}${range}`
        : `node ${s.node_id} serving ${s.service}${range}`
    sources.push(
      timer(options.timeout).pipe(
        take(1),
        map(() => {
          // Say when the cause is on this side: no relay (or other transport) is reachable at all.
          const problem = mesh.connectionProblem()
          throw new MeshError(
            ErrorCode.MICROSERVICE_OFFLINE,
            problem === undefined
              ? `No ${target} appeared within ${options.timeout} ms`
              : `No ${target} appeared within ${options.timeout} ms: this node is ${problem}`,
          )
        }),
      ),
    )
  }
  return firstValueFrom(race(sources)).then(() => undefined)
}
