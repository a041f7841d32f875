import {
  decodeFrames,
  encodeFrame,
  type Frame,
  FrameType,
  PROTOCOL_VERSION,
  type ServiceCatalog,
} from '@spider-mesh/core'
import { WebsocketRelayServer, type WebsocketRelayServerOptions } from '../relay-server.js'

/** How long a test waits for an expected event before failing. */
export const DEADLINE_MS = 2000
/** How long a test listens to prove that nothing arrives. */
export const QUIET_MS = 100

/** The frames of one type, narrowed from the union. */
export type FrameOf<T extends number> = Extract<Frame, [T, ...unknown[]]>

interface Waiter {
  match: (frame: Frame) => boolean
  resolve: (frame: Frame) => void
}

/**
 * A raw node: a WebSocket speaking frames directly, with an inbox to wait on. Pings from the relay
 * are answered and kept out of the inbox unless `answerPings` is false.
 */
export class FrameClient {
  readonly socket: WebSocket
  readonly inbox: Frame[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  answerPings = true
  /** The Welcome, once `join` received it. */
  welcome: FrameOf<2> | null = null
  #waiters: Waiter[] = []

  private constructor(socket: WebSocket) {
    this.socket = socket
    this.closed = new Promise((resolve) => {
      socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }))
    })
    socket.addEventListener('message', (event) => {
      // The relay coalesces frames: one message may carry several.
      decodeFrames(new Uint8Array(event.data as ArrayBuffer), (frame) => {
        if (frame[0] === FrameType.Ping && this.answerPings) {
          this.send([FrameType.Pong, frame[1]])
          return
        }
        const index = this.#waiters.findIndex((waiter) => waiter.match(frame))
        if (index === -1) this.inbox.push(frame)
        else this.#waiters.splice(index, 1)[0]!.resolve(frame)
      })
    })
  }

  static connect(url: string): Promise<FrameClient> {
    const socket = new WebSocket(url)
    socket.binaryType = 'arraybuffer'
    return new Promise((resolve, reject) => {
      socket.addEventListener('open', () => resolve(new FrameClient(socket)))
      socket.addEventListener('error', () => reject(new Error(`could not connect to ${url}`)))
    })
  }

  /**
   * Connects and says Hello; resolves once the Welcome arrived (kept in `welcome`). With
   * `interest`, the Hello opts in to discovery by interest for those services.
   */
  static async join(
    url: string,
    nodeId: string,
    services: string[] = [],
    topics: string[] = [],
    interest?: string[],
    catalog?: ServiceCatalog,
  ): Promise<FrameClient> {
    const client = await FrameClient.connect(url)
    client.send(
      catalog !== undefined
        ? [FrameType.Hello, PROTOCOL_VERSION, nodeId, services, topics, {}, interest ?? null, catalog]
        : interest === undefined
          ? [FrameType.Hello, PROTOCOL_VERSION, nodeId, services, topics]
          : [FrameType.Hello, PROTOCOL_VERSION, nodeId, services, topics, {}, interest],
    )
    client.welcome = await client.next(FrameType.Welcome)
    return client
  }

  send(frame: Frame): void {
    this.socket.send(encodeFrame(frame))
  }

  sendRaw(data: Uint8Array | string): void {
    this.socket.send(data)
  }

  /** The first frame of `type` (and matching `match`), from the inbox or the next to arrive. */
  next<T extends number>(type: T, match: (frame: FrameOf<T>) => boolean = () => true): Promise<FrameOf<T>> {
    const test = (frame: Frame): boolean => frame[0] === type && match(frame as FrameOf<T>)
    const index = this.inbox.findIndex(test)
    if (index !== -1) return Promise.resolve(this.inbox.splice(index, 1)[0] as FrameOf<T>)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match: test,
        resolve: (frame) => {
          clearTimeout(timer)
          resolve(frame as FrameOf<T>)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        reject(
          new Error(
            `no frame of type ${type} within ${DEADLINE_MS} ms; inbox: ${JSON.stringify(this.inbox)}`,
          ),
        )
      }, DEADLINE_MS)
      this.#waiters.push(waiter)
    })
  }

  /** Resolves with the frames of `type` that arrived during a short quiet period (expected: none). */
  async quiet(type?: number): Promise<Frame[]> {
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS))
    return this.inbox.filter((frame) => type === undefined || frame[0] === type)
  }

  /** Resolves with the close event, failing after the deadline. */
  closedWithin(ms = DEADLINE_MS): Promise<{ code: number; reason: string }> {
    return Promise.race([
      this.closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms),
      ),
    ])
  }

  close(): void {
    this.socket.close()
  }
}

/** Starts relays and clients for one test and tears every one of them down afterwards. */
export class RelayHarness {
  readonly #servers: WebsocketRelayServer[] = []
  readonly #clients: FrameClient[] = []
  readonly adapter: 'bun' | 'node'

  constructor(adapter: 'bun' | 'node') {
    this.adapter = adapter
  }

  async relay(
    options: WebsocketRelayServerOptions = {},
  ): Promise<{ server: WebsocketRelayServer; url: string }> {
    const server = new WebsocketRelayServer({ host: '127.0.0.1', port: 0, adapter: this.adapter, ...options })
    this.#servers.push(server)
    await server.ready
    return { server, url: `ws://127.0.0.1:${server.port}${options.path ?? ''}` }
  }

  async connect(url: string): Promise<FrameClient> {
    const client = await FrameClient.connect(url)
    this.#clients.push(client)
    return client
  }

  async join(
    url: string,
    nodeId: string,
    services: string[] = [],
    topics: string[] = [],
    interest?: string[],
    catalog?: ServiceCatalog,
  ): Promise<FrameClient> {
    const client = await FrameClient.join(url, nodeId, services, topics, interest, catalog)
    this.#clients.push(client)
    return client
  }

  async teardown(): Promise<void> {
    for (const client of this.#clients) client.close()
    await Promise.all(this.#servers.map((server) => server.close({ drainTimeoutMs: 0 })))
    this.#clients.length = 0
    this.#servers.length = 0
  }
}

/** Polls `check` until it holds or the deadline passes (for state that has no event, like stats). */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
