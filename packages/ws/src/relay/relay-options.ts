import type { IncomingMessage } from 'node:http'
import { ErrorCode, MeshError } from '@spider-mesh/core'
import type { AccessPolicy } from './access-rules.js'
import type { Authenticate } from './authentication.js'
import { type ClusterOptions, type ResolvedClusterOptions, resolveClusterOptions } from './cluster-options.js'
import { type ResolvedTopicPolicy, resolveTopics, type TopicsOption } from './history/topic-policies.js'
import { defaultRelayLogger, type RelayLogger, textRelayLogger } from './relay-logger.js'

/**
 * The upgrade request `isServerConnection` receives: Node's `IncomingMessage` with the `node`
 * adapter, the standard `Request` with the `bun` adapter.
 */
export type RelayUpgradeRequest = IncomingMessage | Request

/** Options of `WebsocketRelayServer`. */
export interface WebsocketRelayServerOptions {
  /** Interface to bind. Default: all interfaces. */
  host?: string
  /** Port to listen on; `0` picks a free one (read it from `server.port`). Default `8787`. */
  port?: number
  /** Only upgrades on this HTTP path are accepted (e.g. `'/mesh'`). Default: any path. */
  path?: string
  /**
   * Classifies each connection: `true` for mesh nodes (listed in discovery, routed to), `false`
   * for passive clients (may call, publish and subscribe, are never routed to). This is the
   * relay's access-control hook; when it throws, the connection is closed (1011). `socket` is the
   * `ws` WebSocket or Bun's `ServerWebSocket`, depending on the adapter. Default: every connection
   * is a mesh node.
   */
  isServerConnection?: (socket: unknown, request: RelayUpgradeRequest) => boolean
  /**
   * Authenticates each upgrade before it becomes a WebSocket: receives the request (with the
   * `token` the node sent, from `Authorization: Bearer` or the `access_token` query parameter)
   * and returns a principal, or null/false — or throws — to refuse it with HTTP 401. The
   * principal feeds `access`. `isServerConnection` still classifies accepted connections.
   * Default: no authentication.
   */
  authenticate?: Authenticate
  /**
   * Access rules per connection, from its principal: which services it may provide and call,
   * which topics it may publish and subscribe to (exact names and `*` patterns). A denied call
   * gets `ACCESS_DENIED` at once; a denied provide or subscribe is reported to the node with an
   * Error frame. With a policy set, anything not allowed is denied — passive connections call
   * nothing unless allowed. Default: no policy, everything allowed.
   */
  access?: AccessPolicy
  /** PEM certificate and key: the relay serves `wss://` (and `https://` for its HTTP endpoints). */
  tls?: { cert: string; key: string }
  /** Ping interval; a connection silent for 2.5 intervals is closed (4408). Default `30000`. */
  heartbeatIntervalMs?: number
  /** Largest accepted message; larger ones close that socket with 1009. Default 16 MiB. */
  maxPayloadBytes?: number
  /** Calls one connection may have in flight; more get `OVERLOADED` at once. Default `10000`. */
  maxInFlightPerConnection?: number
  /**
   * Frames per second one connection may send; past it, requests get `OVERLOADED` and
   * publications are dropped (with an Error frame); at 10× the limit the socket is closed (4429).
   * Default `200000`.
   */
  maxFramesPerSecond?: number
  /**
   * Slow-consumer guard: when more than this many bytes wait in one socket's send buffer, that
   * socket is closed (4503) instead of growing the relay's memory. Default: 16 MiB or
   * 2 × `maxPayloadBytes`, whichever is larger.
   */
  maxBufferedBytes?: number
  /**
   * A forwarded call with no response for this long is dropped: the caller gets
   * `MICROSERVICE_RPC_TIMEOUT` from the relay, the provider a cancel. Default `900000` (15 min).
   */
  pendingTtlMs?: number
  /** A connection that has not sent Hello after this long is closed (4408). Default `10000`. */
  helloTimeoutMs?: number
  /**
   * Services one node may announce (Hello or Services): every listed service is told to the
   * nodes that use it, so one announcement must not be amplified without bound. The rest are not
   * listed, and the node gets a `PAYLOAD_TOO_LARGE` Error frame saying so. Default `256`.
   */
  maxServicesPerNode?: number
  /** Longest service or topic name (in characters) a node may announce or subscribe to; longer ones are refused the same way. Default `256`. */
  maxNameLength?: number
  /** Serve the live dashboard page at `GET /` (the JSON and metrics endpoints are always on). Default `false`. */
  dashboard?: boolean
  /** Socket library: `'bun'` (Bun.serve, Bun only) or `'node'` (`ws`). Default: `'bun'` under Bun. */
  adapter?: 'bun' | 'node'
  /** Where to log. Default: warnings and errors to the console; protocol problems go to `debug`. */
  logger?: RelayLogger
  /**
   * `'json'`: instead of `logger`, one JSON object per line per event (`level`, `time`, `relay`,
   * `event`, `node_id` when the event concerns a node, its fields, `msg`), info on stdout,
   * warnings and errors on stderr. Default `'text'` (the `logger`).
   */
  logFormat?: 'text' | 'json'
  /**
   * Joins this relay to a cluster over NATS: every relay with the same NATS and `prefix` serves
   * one mesh (any relay's URL reaches every service, node and topic). Default: no cluster, this
   * relay is the whole mesh.
   */
  cluster?: ClusterOptions
  /**
   * Topic history: per topic pattern (exact names or `*` patterns, the first matching entry in
   * object order wins), how many of a topic's last messages the relay keeps (`retain`, 1 to
   * 100000) and for how long (`ttlMs`, optional). `mesh.listen(topic, { history: n })` replays
   * them. In memory on one relay (lost on restart); a JetStream stream in a cluster. Default: none.
   */
  topics?: TopicsOption
}

/** Options with defaults applied, after validation. */
export interface ResolvedRelayOptions {
  host?: string
  port: number
  path?: string
  isServerConnection?: (socket: unknown, request: unknown) => boolean
  heartbeatIntervalMs: number
  maxPayloadBytes: number
  authenticate?: Authenticate
  access?: AccessPolicy
  tls?: { cert: string; key: string }
  maxInFlightPerConnection: number
  maxFramesPerSecond: number
  maxBufferedBytes: number
  pendingTtlMs: number
  helloTimeoutMs: number
  maxServicesPerNode: number
  maxNameLength: number
  dashboard: boolean
  adapter: 'bun' | 'node'
  logger: RelayLogger
  logFormat: 'text' | 'json'
  cluster?: ResolvedClusterOptions
  topics: ResolvedTopicPolicy[]
}

const isBun = (): boolean => typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

function invalid(name: string, value: unknown, expected: string): MeshError {
  let shown: string
  try {
    shown =
      typeof value === 'function'
        ? 'a function'
        : typeof value === 'number'
          ? String(value) // JSON would print NaN and Infinity as null
          : (JSON.stringify(value) ?? String(value))
  } catch {
    shown = String(value)
  }
  return new MeshError(
    ErrorCode.INVALID_OPTION,
    `Invalid WebsocketRelayServer option ${name}: ${shown}. Expected ${expected}.`,
  )
}

/** Applies defaults and throws a MeshError `INVALID_OPTION` naming the first bad option. */
export function resolveRelayOptions(options: WebsocketRelayServerOptions): ResolvedRelayOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('object', options, 'an options object or nothing')
  }
  const {
    host,
    port = 8787,
    path,
    isServerConnection,
    authenticate,
    access,
    tls,
    heartbeatIntervalMs = 30_000,
    maxPayloadBytes = 16 * 1024 * 1024,
    maxInFlightPerConnection = 10_000,
    maxFramesPerSecond = 200_000,
    maxBufferedBytes,
    pendingTtlMs = 900_000,
    helloTimeoutMs = 10_000,
    maxServicesPerNode = 256,
    maxNameLength = 256,
    dashboard = false,
    adapter = isBun() ? 'bun' : 'node',
    logger,
    logFormat = 'text',
    cluster,
    topics,
  } = options
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalid('port', port, 'an integer from 0 to 65535 (0 picks a free port)')
  }
  if (host !== undefined && (typeof host !== 'string' || host === '')) {
    throw invalid('host', host, 'a host name or IP address such as "127.0.0.1"')
  }
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw invalid('path', path, 'an HTTP path starting with "/", such as "/mesh"')
  }
  if (isServerConnection !== undefined && typeof isServerConnection !== 'function') {
    throw invalid('isServerConnection', isServerConnection, 'a function (socket, request) => boolean')
  }
  if (
    typeof heartbeatIntervalMs !== 'number' ||
    !Number.isFinite(heartbeatIntervalMs) ||
    heartbeatIntervalMs < 1
  ) {
    throw invalid('heartbeatIntervalMs', heartbeatIntervalMs, 'a number of milliseconds of at least 1')
  }
  if (!Number.isInteger(maxPayloadBytes) || maxPayloadBytes < 1 || maxPayloadBytes > 0xffff_ffff) {
    throw invalid('maxPayloadBytes', maxPayloadBytes, 'an integer number of bytes from 1 to 4294967295')
  }
  const limits = {
    maxInFlightPerConnection,
    maxFramesPerSecond,
    pendingTtlMs,
    helloTimeoutMs,
    maxServicesPerNode,
    maxNameLength,
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 1) throw invalid(name, value, 'a positive integer')
  }
  const buffered = maxBufferedBytes ?? Math.max(16 * 1024 * 1024, 2 * maxPayloadBytes)
  if (!Number.isInteger(buffered) || buffered < 1) {
    throw invalid('maxBufferedBytes', maxBufferedBytes, 'a positive integer number of bytes')
  }
  if (typeof dashboard !== 'boolean') throw invalid('dashboard', dashboard, 'true or false')
  if (adapter !== 'bun' && adapter !== 'node') throw invalid('adapter', adapter, '"bun" or "node"')
  if (adapter === 'bun' && !isBun()) {
    throw invalid('adapter', adapter, '"node" outside Bun: the "bun" adapter needs the Bun runtime')
  }
  if (
    logger !== undefined &&
    (logger === null ||
      typeof logger !== 'object' ||
      !(['debug', 'info', 'warn', 'error'] as const).every((level) => typeof logger[level] === 'function'))
  ) {
    throw invalid('logger', logger, 'an object with debug, info, warn and error methods (console fits)')
  }
  if (logFormat !== 'text' && logFormat !== 'json') throw invalid('logFormat', logFormat, '"text" or "json"')
  if (logFormat === 'json' && logger !== undefined) {
    throw invalid(
      'logFormat',
      logFormat,
      '"text" with a logger: "json" writes its own lines to stdout and stderr',
    )
  }
  const resolved: ResolvedRelayOptions = {
    port,
    heartbeatIntervalMs,
    maxPayloadBytes,
    ...limits,
    maxBufferedBytes: buffered,
    dashboard,
    adapter,
    logger: textRelayLogger(logger ?? defaultRelayLogger),
    logFormat,
    topics: resolveTopics(topics),
  }
  if (host !== undefined) resolved.host = host
  if (path !== undefined) resolved.path = path
  if (authenticate !== undefined) {
    if (typeof authenticate !== 'function') {
      throw invalid('authenticate', authenticate, 'a function (request) => principal | null')
    }
    resolved.authenticate = authenticate
  }
  if (access !== undefined) {
    if (typeof access !== 'function')
      throw invalid('access', access, 'a function (principal, { isServer }) => rules')
    resolved.access = access
  }
  if (tls !== undefined) {
    if (
      tls === null ||
      typeof tls !== 'object' ||
      typeof tls.cert !== 'string' ||
      typeof tls.key !== 'string'
    ) {
      throw invalid('tls', tls === null ? null : '{…}', 'an object { cert, key } with PEM strings')
    }
    resolved.tls = { cert: tls.cert, key: tls.key }
  }
  if (cluster !== undefined) resolved.cluster = resolveClusterOptions(cluster)
  if (isServerConnection !== undefined) {
    resolved.isServerConnection = isServerConnection as (socket: unknown, request: unknown) => boolean
  }
  return resolved
}

/** What the router uses of the relay server's options, with defaults applied (in relay-options.ts, once). */
export type RelayRouterOptions = Pick<
  ResolvedRelayOptions,
  | 'heartbeatIntervalMs'
  | 'logger'
  | 'maxPayloadBytes'
  | 'maxInFlightPerConnection'
  | 'maxFramesPerSecond'
  | 'maxBufferedBytes'
  | 'pendingTtlMs'
  | 'helloTimeoutMs'
  | 'maxServicesPerNode'
  | 'maxNameLength'
  | 'access'
  | 'topics'
>
