/**
 * Socket.IO servers on `@spider-mesh/socket.io` as real processes (`fixtures/socketio-server.ts`)
 * and real `socket.io-client` clients in the test process, each released after the test (or the
 * describe) that started it.
 */
import { io as connect, type Socket } from 'socket.io-client'
import { type ManagedProcess, spawnFixture, track, within } from '../harness/index.js'

/** A Socket.IO server process and the operations the tests run on it. */
export interface SocketIoServer {
  name: string
  proc: ManagedProcess
  url: string
  /** Runs one server-side operation (see the fixture's `ops`); rejects with the server's error message. */
  run<T = unknown>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>
}

/** Options of {@link startSocketIoServer}. */
export interface SocketIoServerOptions {
  relayUrl: string
  name: string
  heartbeatInterval?: number
  heartbeatTimeout?: number
}

let nextId = 0

/** Binary payloads cross the fixture's stdin and stdout as `{ $bytes: [...] }`. */
export const bytes = (value: Uint8Array) => ({ $bytes: [...value] })

/** Starts a Socket.IO server process on the relay and waits for `READY <name> <port>`. */
export async function startSocketIoServer(options: SocketIoServerOptions): Promise<SocketIoServer> {
  const proc = spawnFixture(`socket.io ${options.name}`, 'socketio-server.ts', {
    RELAY_URL: options.relayUrl,
    NAME: options.name,
    HEARTBEAT_INTERVAL: options.heartbeatInterval?.toString(),
    HEARTBEAT_TIMEOUT: options.heartbeatTimeout?.toString(),
  })
  const ready = await proc.waitForLine(new RegExp(`^READY ${options.name} (\\d+)$`))
  return {
    name: options.name,
    proc,
    url: `http://127.0.0.1:${ready[1]}`,
    async run<T>(op: string, args: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
      const id = String(++nextId)
      const from = proc.mark()
      proc.write(`${id} ${op} ${JSON.stringify(args)}`)
      const line = await proc.waitForLine(new RegExp(`^(RESULT|FAILED) ${id} (.*)$`), { from, timeoutMs })
      if (line[1] === 'FAILED') throw new Error(line[2])
      return JSON.parse(line[2]!) as T
    },
  }
}

/** One event a client received: its name and arguments. */
export interface ReceivedEvent {
  event: string
  args: unknown[]
}

/** A connected `socket.io-client` socket that records every event it receives. */
export interface TestSocket {
  socket: Socket
  user: string
  server: string
  received: ReceivedEvent[]
  /** Resolves with the first received `event` (from index `from` on) matching `predicate`. */
  next(event: string, ms?: number, predicate?: (args: unknown[]) => boolean): Promise<unknown[]>
  /** Whether an `event` was received (so far). */
  got(event: string, predicate?: (args: unknown[]) => boolean): boolean
}

/** Options of {@link connectClient}. */
export interface ClientOptions {
  user: string
  rooms?: string[]
  nsp?: string
  /** Answers to acknowledged events: event name → the value to ack with (never ack: omit it). */
  answers?: Record<string, (...args: unknown[]) => unknown>
}

/** Connects a client to `server` over WebSocket and waits until it is connected. */
export async function connectClient(server: SocketIoServer, options: ClientOptions): Promise<TestSocket> {
  const socket = connect(`${server.url}${options.nsp ?? '/'}`, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { user: options.user, rooms: options.rooms ?? [] },
  })
  track(`socket.io client ${options.user}`, () => {
    socket.disconnect()
  })
  const received: ReceivedEvent[] = []
  const waiters = new Set<() => void>()
  const record = (event: string, args: unknown[]) => {
    received.push({ event, args })
    for (const wake of waiters) wake()
  }
  socket.onAny((event: string, ...args: unknown[]) => {
    const last = args[args.length - 1]
    if (typeof last === 'function') {
      const answer = options.answers?.[event]
      const values = args.slice(0, -1)
      record(event, values)
      if (answer) (last as (v: unknown) => void)(answer(...values))
      return
    }
    record(event, args)
  })
  socket.on('disconnect', (reason) => record('disconnect', [reason]))
  await within(
    5000,
    `${options.user} to connect to ${server.name}`,
    new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve())
      socket.once('connect_error', reject)
    }),
  )
  const matches = (event: string, predicate?: (args: unknown[]) => boolean) =>
    received.find((r) => r.event === event && (!predicate || predicate(r.args)))
  return {
    socket,
    user: options.user,
    server: server.name,
    received,
    got: (event, predicate) => matches(event, predicate) !== undefined,
    next(event, ms = 5000, predicate) {
      const found = matches(event, predicate)
      if (found) return Promise.resolve(found.args)
      let wake = () => {}
      return within(
        ms,
        `${options.user} (on ${server.name}) to receive "${event}"`,
        new Promise<unknown[]>((resolve) => {
          wake = () => {
            const hit = matches(event, predicate)
            if (hit) resolve(hit.args)
          }
          waiters.add(wake)
        }),
      ).finally(() => waiters.delete(wake))
    },
  }
}
