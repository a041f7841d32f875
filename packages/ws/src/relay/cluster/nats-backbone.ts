import {
  connect,
  type Msg,
  type NatsConnection,
  type NodeConnectionOptions,
  type Subscription,
} from '@nats-io/transport-node'
import { logEvent, type RelayLogger } from '../relay-logger.js'

/** How the relay sees its NATS connection (`/health`'s `cluster.state`). */
export type BackboneState = 'connecting' | 'connected' | 'down'

/** Options of {@link NatsBackbone}. */
export interface NatsBackboneOptions {
  servers: string[]
  /** Client name NATS shows in its monitoring (`spider-mesh relay <name>`). */
  name: string
  /** Passed to the NATS client as they are (credentials, TLS, ...). */
  connectOptions: Partial<NodeConnectionOptions>
  logger: RelayLogger
  /** The connection is (again) up: subscriptions are live, publishing works. */
  onConnected(first: boolean): void
  /** The connection was lost; the client reconnects by itself. */
  onDown(): void
}

interface DeferredSubscription {
  subject: string
  handler: (msg: Msg) => void
  sub?: Subscription
}

/** A first connection that takes longer than this is reported as `down`, not `connecting`. */
const CONNECTING_GRACE_MS = 2000

/**
 * The relay's connection to NATS, with the two rules the cluster depends on: start-up never
 * waits for NATS (the client connects in the background, for ever), and nothing is published
 * while the connection is down — the NATS client would buffer it and then drop that buffer on
 * reconnect, so a message sent "successfully" could vanish. Callers check `publish()`'s result.
 */
export class NatsBackbone {
  #state: BackboneState = 'connecting'
  #nc: NatsConnection | undefined
  #closed = false
  #everConnected = false
  /** Waiting for the first connection (see `connection()`). */
  readonly #waiters: ((nc: NatsConnection) => void)[] = []
  /** Subscriptions asked for before the first connection; made once it is up. */
  readonly #deferred: DeferredSubscription[] = []
  readonly #options: NatsBackboneOptions
  #grace: ReturnType<typeof setTimeout> | undefined
  #retry: ReturnType<typeof setTimeout> | undefined
  /** Times the connection came back after a loss. */
  reconnects = 0
  /** Last measured NATS round trip, in ms. */
  rttMs: number | undefined

  constructor(options: NatsBackboneOptions) {
    this.#options = options
  }

  get state(): BackboneState {
    return this.#state
  }

  /**
   * Largest message NATS accepts (its `max_payload`, 1 MiB by default): calls whose payload is
   * larger cannot cross relays and get PAYLOAD_TOO_LARGE rather than vanishing.
   */
  get maxPayload(): number {
    return this.#nc?.info?.max_payload ?? 1024 * 1024
  }

  get connected(): boolean {
    return this.#state === 'connected'
  }

  /** Starts connecting in the background; never throws, never blocks. */
  start(): void {
    this.#grace = setTimeout(() => {
      if (this.#state === 'connecting') this.#state = 'down'
    }, CONNECTING_GRACE_MS)
    ;(this.#grace as { unref?: () => void }).unref?.()
    this.#attempt(0)
  }

  /**
   * One first-connection attempt. Until NATS has been reached once, the retries are ours (not the
   * client's `waitOnFirstConnect`), so that close() can stop them: a relay that never reached NATS
   * must still exit. After that, the client reconnects by itself, for ever.
   */
  #attempt(failures: number): void {
    const { servers, name, connectOptions, logger } = this.#options
    connect({
      ...connectOptions,
      servers,
      name,
      // The relay never needs its own publications back (pub/sub, heartbeats).
      noEcho: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 2000,
      maxPingOut: 2,
    }).then(
      (nc) => this.#connected(nc),
      (err: Error) => {
        if (this.#closed) return
        this.#state = 'down'
        // Said once at warn level (with the reason); the retries go on quietly.
        const say = failures === 0 ? logger.warn : logger.debug
        say.call(
          logger,
          `[relay] cluster: cannot reach NATS at ${servers.join(', ')} (${err.message}); serving this relay's nodes only, retrying`,
          logEvent('nats_unreachable', { servers, reason: err.message, attempt: failures + 1 }),
        )
        this.#retry = setTimeout(() => this.#attempt(failures + 1), Math.min(250 * 2 ** failures, 2000))
        ;(this.#retry as { unref?: () => void }).unref?.()
      },
    )
  }

  #connected(nc: NatsConnection): void {
    clearTimeout(this.#grace)
    if (this.#closed) {
      void nc.close()
      return
    }
    this.#nc = nc
    this.#state = 'connected'
    this.#everConnected = true
    this.#options.logger.info(
      `[relay] cluster: connected to NATS at ${nc.getServer()}`,
      logEvent('nats_connected', { server: nc.getServer() }),
    )
    for (const entry of this.#deferred.splice(0)) entry.sub = this.#subscribeNow(entry.subject, entry.handler)
    for (const resolve of this.#waiters.splice(0)) resolve(nc)
    void this.#watchStatus(nc)
    this.#options.onConnected(true)
  }

  async #watchStatus(nc: NatsConnection): Promise<void> {
    const { logger } = this.#options
    for await (const status of nc.status()) {
      if (this.#closed) return
      if (status.type === 'disconnect' && this.#state === 'connected') {
        this.#state = 'down'
        logger.warn(
          `[relay] cluster: lost NATS (${status.server}); serving this relay's nodes only until it is back`,
          logEvent('nats_lost', { server: status.server }),
        )
        this.#options.onDown()
      } else if (status.type === 'reconnect') {
        this.#state = 'connected'
        this.reconnects++
        logger.warn(
          `[relay] cluster: NATS is back (${status.server}); re-syncing`,
          logEvent('nats_back', { server: status.server }),
        )
        this.#options.onConnected(false)
      }
    }
  }

  /**
   * The NATS connection, once there is one (the client reconnects it by itself after that): what
   * JetStream and KV users build on. Never settles if the relay closes before reaching NATS.
   */
  connection(): Promise<NatsConnection> {
    if (this.#nc) return Promise.resolve(this.#nc)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Publishes when connected; returns false (and sends nothing) when the connection is down. */
  publish(subject: string, data: Uint8Array, reply?: string): boolean {
    const nc = this.#nc
    if (!nc || this.#state !== 'connected') return false
    try {
      nc.publish(subject, data, reply === undefined ? undefined : { reply })
      return true
    } catch (err) {
      this.#options.logger.debug(
        `[relay] cluster: publish on ${subject} failed`,
        err,
        logEvent('nats_publish_failed', { subject }),
      )
      return false
    }
  }

  /** Subscribes now, or as soon as the first connection is up. Handlers must not throw. */
  subscribe(subject: string, handler: (msg: Msg) => void): { unsubscribe(): void } {
    if (this.#nc) {
      const sub = this.#subscribeNow(subject, handler)
      return { unsubscribe: () => sub.unsubscribe() }
    }
    const entry: DeferredSubscription = { subject, handler }
    this.#deferred.push(entry)
    return {
      unsubscribe: () => {
        const index = this.#deferred.indexOf(entry)
        if (index !== -1) this.#deferred.splice(index, 1)
        entry.sub?.unsubscribe()
      },
    }
  }

  #subscribeNow(subject: string, handler: (msg: Msg) => void): Subscription {
    return this.#nc!.subscribe(subject, {
      callback: (err, msg) => {
        if (err) {
          this.#options.logger.debug(
            `[relay] cluster: subscription ${subject} failed`,
            err,
            logEvent('nats_subscription_failed', { subject }),
          )
          return
        }
        try {
          handler(msg)
        } catch (error) {
          // A bug here must cost one message, never the relay.
          this.#options.logger.error(
            `[relay] cluster: failed to handle a message on ${msg.subject}`,
            error,
            logEvent('cluster_message_failed', { subject: msg.subject }),
          )
        }
      },
    })
  }

  /** A request/reply exchange; rejects at once when down (NoRespondersError when nobody listens). */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
    const nc = this.#nc
    if (!nc || this.#state !== 'connected') return Promise.reject(new Error('NATS is not connected'))
    return nc.request(subject, data, { timeout: timeoutMs })
  }

  /** Measures the NATS round trip (for /metrics). */
  async measureRtt(): Promise<void> {
    if (!this.#nc || this.#state !== 'connected') return
    try {
      this.rttMs = await this.#nc.rtt()
    } catch {}
  }

  /** Flushes what was published, then closes. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#grace)
    clearTimeout(this.#retry)
    const nc = this.#nc
    this.#state = 'down'
    if (!nc) return
    try {
      if (this.#everConnected) await Promise.race([nc.flush(), new Promise((r) => setTimeout(r, 500))])
      await nc.close()
    } catch {}
  }
}

/** Whether a request failed because nobody subscribes to its subject (the target is gone). */
export function isNoResponders(err: unknown): boolean {
  const e = err as { name?: string; message?: string; isNoResponders?: () => boolean }
  return (
    e?.name === 'NoResponders' || e?.isNoResponders?.() === true || /no responders/i.test(e?.message ?? '')
  )
}
