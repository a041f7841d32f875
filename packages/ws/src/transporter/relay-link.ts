import {
  ErrorCode,
  type Frame,
  FrameBatch,
  FrameType,
  MeshError,
  type NodeRef,
  type RelayLimits,
  type RpcRequestPacket,
  type ServiceCatalog,
  type WelcomeNode,
} from '@spider-mesh/core'
import { helloFrame, servicesFrame } from './announcement.js'
import { ConnectionProblem } from './connection-problem.js'
import { LinkCalls } from './link-calls.js'
import { LinkClock } from './link-liveness.js'
import { payloadTooLarge } from './payload-limit.js'
import { ReconnectBackoff } from './reconnect-backoff.js'
import { RelayDirectory } from './relay-directory.js'
import type { RelayLinkOptions, RelayLinkOwner } from './relay-link-owner.js'
import { readRelayMessage } from './relay-message.js'
import { OPEN, type WebSocketLike } from './socket.js'
import { withToken } from './token-source.js'

export type { RelayLinkOptions, RelayLinkOwner } from './relay-link-owner.js'

/** Close codes after which reconnecting cannot help. */
const FATAL_CLOSE_CODES = new Set([4426])
/** Epoch ms with sub-millisecond precision: round trips on a LAN are well under 1 ms. */
const preciseNow = () => performance.timeOrigin + performance.now()

/**
 * One relay connection: opens the socket, says Hello, keeps the directory seen through this relay,
 * carries requests and responses, heartbeats with a deadline, and reconnects with backoff and
 * jitter. When the connection is lost, every call it carried ends at once: outbound calls with
 * `MICROSERVICE_OFFLINE`, inbound calls stopped.
 */
export class RelayLink {
  readonly url: string
  readonly #owner: RelayLinkOwner
  readonly #options: RelayLinkOptions
  #socket: WebSocketLike | undefined
  /** Open and not closing by our hand: checked per frame (and before Hello) instead of `readyState`, a native getter. */
  #writable = false
  #welcomed = false
  #helloSent = false
  #closed = false
  readonly #backoff: ReconnectBackoff
  /** The heartbeat's times and timer. */
  readonly #clock: LinkClock
  /** The relay said Goodbye on this socket: it closes it when its drain is done. */
  #relayLeaving = false
  #rtt: number | undefined
  /** The calls this connection carries, both ways. */
  readonly #calls: LinkCalls
  /** Nodes seen through this relay; kept across reconnects to diff the re-sync. */
  readonly #directory: RelayDirectory
  #closeWaiters: (() => void)[] = []
  /** What the relay announced it accepts. */
  #limits: RelayLimits = {}
  /** Why the relay is down, said once per state change. */
  readonly #problem: ConnectionProblem
  /** Frames queued in the same tick leave in one message (64 calls started together: one write). */
  readonly #batch: FrameBatch

  constructor(url: string, owner: RelayLinkOwner, options: RelayLinkOptions) {
    this.url = url
    this.#owner = owner
    this.#options = options
    this.#backoff = new ReconnectBackoff(options)
    this.#clock = new LinkClock(options.heartbeatIntervalMs)
    this.#problem = new ConnectionProblem(url)
    const writeCopies = options.socketFactory.copiesOnSend === true
    this.#batch = new FrameBatch((bytes) => this.#socket?.readyState === OPEN && this.#socket.send(bytes), {
      writeCopies,
    })
    this.#calls = new LinkCalls({
      get host() {
        return owner.host
      },
      link: owner.link,
      replyTo: this,
      send: (frame) => this.#send(frame),
      sendRequest: (id, service, method, node, payload) => {
        if (this.#writable) this.#batch.addRequest(id, service, method, node, payload)
      },
      sendResponse: (id, kind, payload) => {
        if (this.#writable) this.#batch.addResponse(id, kind, payload)
      },
      tooLarge: (payload, nameLength) => this.#tooLarge(payload, nameLength),
      warn: (message) => owner.warn(message),
    })
    this.#directory = new RelayDirectory((type, node_id, services) =>
      owner.discovered({ type, node_id, services, url }),
    )
  }

  /** Whether the relay welcomed this node and calls can be sent. */
  get ready(): boolean {
    return this.#welcomed
  }

  /** Last measured round trip to the relay in ms. */
  get rtt(): number | undefined {
    return this.#rtt
  }

  start(): void {
    this.#open()
  }

  /** Providers of `service` seen through this relay (empty while not connected). */
  providers(service: string): NodeRef[] {
    return this.#welcomed ? this.#directory.providers(service, this.#rtt) : []
  }

  /** Whether `nodeId` is reachable through this relay. */
  hasNode(nodeId: string): boolean {
    return this.#welcomed && this.#directory.has(nodeId)
  }

  /** Sends a request (cancelled with {@link cancel}). */
  call(packet: RpcRequestPacket): void {
    this.#calls.call(packet)
  }

  /** Cancels a request sent through this relay; false if it did not carry it (or it ended). */
  cancel(requestId: number, reason?: string): boolean {
    return this.#calls.cancel(requestId, reason)
  }

  /** Sends one step of the response to a call this node is serving (from its fields: no packet per step). */
  respond(id: number, kind: number, payload: Uint8Array | undefined): void {
    this.#calls.respond(id, kind, payload)
  }

  /** Grants credit for a stream this node called through this relay; false if it did not. */
  credit(requestId: number, items: number): boolean {
    return this.#calls.credit(requestId, items)
  }

  sendServices(services: string[], catalog: ServiceCatalog): void {
    if (this.#welcomed) this.#send(servicesFrame(services, catalog))
  }

  sendTopic(topic: string, subscribe: boolean): void {
    if (this.#welcomed) this.#send([subscribe ? FrameType.Subscribe : FrameType.Unsubscribe, topic])
  }

  /** Asks for more services' directory entries; after Hello (frames keep their order). */
  sendInterest(services: string[]): void {
    if (this.#helloSent) this.#send([FrameType.Interest, services])
  }

  /** Publishes; throws PAYLOAD_TOO_LARGE when the relay would refuse the message. */
  publish(topic: string, payload: Uint8Array): void {
    const tooLarge = this.#tooLarge(payload, topic.length)
    if (tooLarge) throw new MeshError(ErrorCode.PAYLOAD_TOO_LARGE, `The message on "${topic}" is ${tooLarge}`)
    this.#send([FrameType.Publish, topic, payload, null])
  }

  /** Why a payload cannot go to this relay (see payloadTooLarge), or undefined. */
  readonly #tooLarge = (payload: Uint8Array, nameLength: number): string | undefined =>
    payloadTooLarge(this.#limits.maxPayloadBytes, this.url, payload, nameLength)

  /** Sends Hello if the socket is open and the mesh is known (connect() may precede registration). */
  helloIfReady(): void {
    const host = this.#owner.host
    if (!host || this.#helloSent || !this.#writable) return
    this.#helloSent = true
    this.#send(helloFrame(host, this.#owner))
  }

  /**
   * Graceful leave: tells the relay to stop routing new calls here (Goodbye), then resolves once
   * every call this node is serving through this relay has ended, or after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.#welcomed) this.#send([FrameType.Goodbye, 'node draining'])
    return this.#calls.idle(timeoutMs)
  }

  /** Closes for good; resolves once the socket is closed. */
  close(): Promise<void> {
    this.#closed = true
    this.#writable = false
    this.#backoff.cancel()
    const socket = this.#socket
    if (!socket) {
      this.#lost('closed by the application')
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      // A socket that never finishes its closing handshake must not hold close() forever.
      const timer = setTimeout(() => this.#lost('closed by the application'), 1000)
      this.#closeWaiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
      try {
        socket.close(1000, 'closed by the application')
      } catch {
        this.#lost('closed by the application')
      }
    })
  }

  /** Opens a socket; a token function is asked afresh for every attempt (tokens expire). */
  #open(): void {
    this.#owner.setStatus(this.url, 'connecting')
    withToken(
      this.#options.token,
      (token) => {
        if (!this.#closed) this.#connect(token)
      },
      (err) => this.#tokenFailed(err),
    )
  }

  #tokenFailed(err: unknown): void {
    this.#owner.warn(`Could not get a token for relay ${this.url}: ${(err as Error)?.message ?? err}`)
    this.#owner.setStatus(this.url, 'error')
    this.#scheduleReconnect()
  }

  #connect(token: string | undefined): void {
    let socket: WebSocketLike
    try {
      socket = this.#options.socketFactory(this.url, token === undefined ? {} : { token })
    } catch (err) {
      this.#lost(`cannot open a WebSocket: ${(err as Error).message}`)
      return
    }
    this.#socket = socket
    socket.binaryType = this.#options.socketFactory.binaryType ?? 'arraybuffer'
    socket.onopen = () => {
      this.#writable = true
      this.#clock.start(Date.now(), () => this.#heartbeat())
      this.#relayLeaving = false
      this.#helloSent = false
      this.helloIfReady()
    }
    socket.onmessage = (event) => this.#receive(event.data)
    socket.onclose = (event) => {
      if (this.#socket === socket)
        this.#lost(`closed with code ${event.code}${event.reason ? ` (${event.reason})` : ''}`, event.code)
    }
    this.#problem.opening()
    // onclose follows; keep the cause where the socket library gives one.
    socket.onerror = (event) => this.#problem.socketError(event)
  }

  #receive(data: unknown): void {
    this.#clock.lastSeen = Date.now()
    readRelayMessage(data, this.url, this.#onFrame, this.#owner.warn, this.#calls.takeRaw)
  }

  readonly #onFrame = (frame: Frame): void => {
    const host = this.#owner.host
    switch (frame[0]) {
      case FrameType.Response:
        this.#calls.onResponse(frame[1], frame[2], frame[3])
        return
      case FrameType.Request:
        this.#calls.onRequest(frame[1], frame[2], frame[3], frame[4], frame[5], frame[6])
        return
      case FrameType.Cancel:
        this.#calls.onCancel(frame[1], frame[2])
        return
      case FrameType.Credit:
        this.#calls.onCredit(frame[1], frame[2])
        return
      case FrameType.Publish:
        host?.handlePublish({
          type: 'publish',
          topic: frame[1],
          payload: frame[2],
          source_node_id: frame[3] ?? '',
        })
        return
      case FrameType.Ping:
        this.#send([FrameType.Pong, frame[1]])
        return
      case FrameType.Pong:
        this.#rtt = preciseNow() - frame[1]
        return
      case FrameType.Welcome:
        this.#limits = frame.length === 6 ? frame[5] : {}
        if (this.#limits.maxPayloadBytes !== undefined) this.#batch.fitPeerLimit(this.#limits.maxPayloadBytes)
        this.#welcome(frame[3])
        return
      case FrameType.Node:
        if (this.#directory.upsert(frame[1], frame[2], frame[3])) this.#owner.directoryChanged()
        return
      case FrameType.Offline:
        if (this.#directory.remove(frame[1])) this.#owner.directoryChanged()
        return
      case FrameType.Error:
        this.#relayError(frame[1], frame[2], frame[3])
        return
      case FrameType.Goodbye:
        // The relay is draining: send it nothing new (calls go to other relays at once), but keep
        // the socket so the calls already on it can finish; the relay closes it when done.
        if (!this.#welcomed) return
        // The acknowledgement promises the relay nothing new will come from this node, so it can
        // close as soon as the calls in flight are done.
        this.#send([FrameType.Goodbye, 'ack'])
        this.#relayLeaving = true
        this.#welcomed = false
        this.#owner.directoryChanged()
        return
      default:
        this.#owner.warn(`Relay ${this.url} sent frame type ${frame[0]}, which only nodes send; ignored`)
    }
  }

  #welcome(nodes: WelcomeNode[]): void {
    // A re-sync after reconnect reports only what really changed while we were away.
    this.#directory.resync(nodes)
    this.#welcomed = true
    this.#problem.connected()
    this.#backoff.reset()
    this.#owner.setStatus(this.url, 'connected')
    this.#owner.directoryChanged()
  }

  #relayError(code: string, message: string, requestId: number | null): void {
    if (requestId !== null && this.#calls.fail(requestId, code, message)) return
    this.#owner.warn(`Relay ${this.url} reported ${code}: ${message}`)
  }

  #heartbeat(): void {
    const verdict = this.#clock.check(Date.now(), {
      welcomed: this.#welcomed,
      helloSent: this.#helloSent,
      relayLeaving: this.#relayLeaving,
    })
    if (!verdict) {
      this.#send([FrameType.Ping, preciseNow()])
      return
    }
    const socket = this.#socket
    this.#lost(verdict.why)
    try {
      socket?.close(verdict.closeCode, verdict.closeReason)
    } catch {}
  }

  #send(frame: Frame): void {
    if (this.#writable) this.#batch.add(frame)
  }

  /** The connection is gone: end every call it carried, then reconnect unless closed for good. */
  #lost(why: string, code?: number): void {
    const socket = this.#socket
    this.#writable = false
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null
      this.#socket = undefined
    }
    // Frames queued for the lost socket must not leak into the next connection.
    this.#batch.clear()
    this.#clock.stop()
    const wasWelcomed = this.#welcomed
    this.#welcomed = false
    this.#helloSent = false
    const unreachable = this.#problem.failed(why, wasWelcomed)
    this.#calls.lost(`Lost the connection to relay ${this.url} during the call: ${why}`)
    if (wasWelcomed) this.#owner.directoryChanged()
    for (const resolve of this.#closeWaiters.splice(0)) resolve()
    if (this.#closed) {
      this.#owner.setStatus(this.url, 'not_connected')
      return
    }
    this.#owner.setStatus(this.url, 'error')
    if (code !== undefined && FATAL_CLOSE_CODES.has(code)) {
      this.#owner.warn(`Relay ${this.url} refused this node for good: ${why}. Not reconnecting.`)
      return
    }
    if (wasWelcomed) this.#owner.warn(`Lost relay ${this.url}: ${why}; reconnecting`)
    else if (unreachable) this.#owner.warn(unreachable)
    this.#scheduleReconnect()
  }

  /** Why this relay is not connected now (for error messages), or undefined when it is. */
  problem(): string | undefined {
    return this.#welcomed ? undefined : this.#problem.describe()
  }

  #scheduleReconnect(): void {
    if (!this.#closed) this.#backoff.schedule(() => this.#closed || this.#open())
  }
}
