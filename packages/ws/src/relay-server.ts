import { ErrorCode, MeshError } from '@spider-mesh/core'
import { BunAdapter } from './relay/bun-adapter.js'
import { RelayCluster } from './relay/cluster/relay-cluster.js'
import { defaultRelayName } from './relay/cluster-options.js'
import { jsonRelayLogger } from './relay/json-relay-logger.js'
import type { RelayAdapter } from './relay/relay-adapter.js'
import { logEvent } from './relay/relay-logger.js'
import { resolveRelayOptions, type WebsocketRelayServerOptions } from './relay/relay-options.js'
import { relayRegistry } from './relay/relay-registry.js'
import { RelayRouter, type RelayStats } from './relay/relay-router.js'
import { WsAdapter } from './relay/ws-adapter.js'

/** Access rules and the policy type of the relay's `access` option. */
export type { AccessPolicy, AccessRules } from './relay/access-rules.js'
/** The request `authenticate` receives, and the hook's type. */
export type { Authenticate, AuthRequest } from './relay/authentication.js'
/** The relay's `cluster` option. */
export type { ClusterOptions } from './relay/cluster-options.js'
/** Close codes the relay sends, with their meaning. */
export { RelayCloseCode, type RelayCloseCodeValue } from './relay/relay-close-codes.js'
/** The logger interface the relay writes to. */
export type { RelayLogger } from './relay/relay-logger.js'
/** Options of {@link WebsocketRelayServer} and the upgrade request its hook receives. */
export type { RelayUpgradeRequest, WebsocketRelayServerOptions } from './relay/relay-options.js'
/** Sizes of the relay's routing tables. */
export type { RelayStats } from './relay/relay-router.js'

/**
 * The Spider Mesh relay: accepts WebSocket connections from nodes and routes calls, cancellation,
 * discovery and pub/sub between them. It never hosts services. Listening starts in the constructor.
 *
 * @example
 * ```ts
 * import { WebsocketRelayServer } from '@spider-mesh/ws/relay-server'
 *
 * const server = new WebsocketRelayServer({ host: '127.0.0.1', port: 8787 })
 * await server.ready
 * console.log(`WebSocket relay listening on ws://127.0.0.1:${server.port}`)
 * // later
 * await server.close()
 * ```
 */
export class WebsocketRelayServer {
  readonly #router: RelayRouter
  readonly #adapter: RelayAdapter
  readonly #cluster: RelayCluster | undefined
  #closing: Promise<void> | null = null

  /** Starts listening at once; throws a MeshError `INVALID_OPTION` for a bad option. */
  constructor(options: WebsocketRelayServerOptions = {}) {
    const base = resolveRelayOptions(options)
    // The JSON lines name the relay: its cluster name, or host:port (the port known once listening).
    const resolved =
      base.logFormat === 'json'
        ? {
            ...base,
            logger: jsonRelayLogger({
              relay: () => base.cluster?.name ?? defaultRelayName(this.#adapter?.port ?? base.port),
            }),
          }
        : base
    this.#router = new RelayRouter(resolved)
    const cluster = resolved.cluster && new RelayCluster(this.#router, resolved.cluster, resolved.logger)
    this.#cluster = cluster
    // After the cluster attached itself: it adds its series to the relay's registry.
    const adapterOptions = { ...resolved, router: this.#router, registry: relayRegistry(this.#router) }
    this.#adapter =
      resolved.adapter === 'bun' ? new BunAdapter(adapterOptions) : new WsAdapter(adapterOptions)
    // Awaiting `ready` is optional, so a failed listen is also logged rather than lost.
    this.#adapter.ready.then(
      // The name defaults to host:port, known once listening; NATS is joined in the background.
      () => cluster?.start(resolved.cluster?.name ?? defaultRelayName(this.#adapter.port)),
      (err: Error) => {
        resolved.logger.error(
          err.message,
          logEvent('listen_failed', { code: (err as { code?: string }).code }),
        )
        this.#router.close()
      },
    )
  }

  /** The bound port; `null` until listening (known at once under the `bun` adapter) and after close. */
  get port(): number | null {
    return this.#adapter.port
  }

  /** Resolves when the relay is listening; rejects with a clear error when it cannot (e.g. EADDRINUSE). */
  get ready(): Promise<void> {
    return this.#adapter.ready
  }

  /**
   * Shuts down gracefully: sends Goodbye to every connection (nodes send new calls to their other
   * relays at once), keeps routing the calls already in flight for up to `drainTimeoutMs`
   * (default 2000; 0 = close at once), then closes every client socket and stops listening.
   * Idempotent.
   */
  close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    const drainTimeoutMs = options.drainTimeoutMs ?? 2000
    if (typeof drainTimeoutMs !== 'number' || !(drainTimeoutMs >= 0)) {
      return Promise.reject(
        new MeshError(
          ErrorCode.INVALID_OPTION,
          `drainTimeoutMs must be a number of ms >= 0, got ${drainTimeoutMs}`,
        ),
      )
    }
    this.#closing ??= (async () => {
      // The other relays stop routing new calls here first, like the nodes do after Goodbye.
      this.#cluster?.drain()
      if (drainTimeoutMs > 0) await this.#router.drain(drainTimeoutMs)
      this.#router.close()
      await this.#cluster?.close()
      await this.#adapter.close()
    })()
    return this.#closing
  }

  /** Current sizes of the routing tables (connections, nodes, pending calls, subscriptions). */
  stats(): RelayStats {
    return this.#router.stats()
  }
}
