import { encodeFrame, encodeValue, FrameType, PROTOCOL_VERSION, ResponseKind } from '@spider-mesh/core'
import { within } from '../harness/index.js'
import {
  everydayMessage,
  type FuzzContext,
  type FuzzMessage,
  hostileHello,
  hugeMessage,
  hugeString,
} from './frame-generators.js'
import { type FuzzClose, FuzzSocket } from './fuzz-socket.js'
import type { Prng } from './prng.js'

/** Options of {@link runBatch}. */
export interface BatchOptions {
  url: string
  /** The honest provider's node id. */
  providerId: string
  rng: Prng
  /** Batch number, for socket labels and node ids. */
  batch: number
  /** Messages to send in this batch, spread over the lanes. */
  messages: number
  /** Sockets sending at the same time. */
  lanes: number
  /** Large messages (1 MiB up to 3/4 of the limit, or 100k-element arrays) in this batch. */
  huge: number
  /** Messages just over the limit, each on a socket of its own that must be closed with 1009. */
  oversized: number
  maxPayloadBytes: number
}

/** What one batch did, and everything in it the relay got wrong. */
export interface BatchReport {
  sockets: number
  messages: number
  bytes: number
  /** Messages sent, by generator kind. */
  kinds: Map<string, number>
  /** Socket closes, as `relay <code>` or `us <code>`. */
  closes: Map<string, number>
  /** Frames the fuzz sockets received, by frame type name. */
  received: Map<string, number>
  /** Misbehaviour seen from outside: each entry says what and on which socket. */
  violations: string[]
}

/** Close codes the relay may use on a socket that misbehaved (see RelayCloseCode). */
const REFUSALS = new Set([4400, 4408, 4409, 4426, 4429, 4503])
const frameNames = Object.fromEntries(Object.entries(FrameType).map(([name, type]) => [type, name]))

const bump = (map: Map<string, number>, key: string, by = 1) => map.set(key, (map.get(key) ?? 0) + by)
const size = (data: Uint8Array | string) => (typeof data === 'string' ? data.length : data.byteLength)

/**
 * Sends one batch of hostile input to a relay from `lanes` sockets at once. Each lane plays a
 * persona: a socket that never says Hello, a node that says Hello and then misbehaves (and answers
 * calls routed to it badly, late or never), or a socket whose Hello must be refused; a lane whose
 * socket the relay closes opens another. Oversized messages go on sockets of their own, which must
 * be closed with 1009 while every other socket stays up. Resolves once every socket is closed.
 */
export async function runBatch(options: BatchOptions): Promise<BatchReport> {
  const { rng } = options
  const report: BatchReport = {
    sockets: 0,
    messages: 0,
    bytes: 0,
    kinds: new Map(),
    closes: new Map(),
    received: new Map(),
    violations: [],
  }
  const sockets: FuzzSocket[] = []
  const oversizedSockets = new Set<FuzzSocket>()
  const lastSent = new Map<FuzzSocket, string[]>()
  let hugeLeft = options.huge

  const send = (socket: FuzzSocket, message: FuzzMessage) => {
    socket.send(message.data)
    report.messages++
    report.bytes += size(message.data)
    bump(report.kinds, message.kind.replace(/-\d+$/, ''))
    const trail = lastSent.get(socket)!
    trail.push(message.kind)
    if (trail.length > 5) trail.shift()
  }

  const open = async (lane: number, rngForSocket: Prng): Promise<[FuzzSocket, FuzzContext]> => {
    const n = report.sockets++
    const socket = new FuzzSocket(options.url, `fuzz b${options.batch} s${n}`)
    sockets.push(socket)
    lastSent.set(socket, [])
    await within(5000, `${socket.label} to connect`, socket.opened)
    const ctx: FuzzContext = {
      rng: rngForSocket,
      providerId: options.providerId,
      selfId: null,
      usedIds: [],
      relayIds: [],
    }
    const persona = rngForSocket.weighted([
      [3, 'anonymous'],
      [6, 'node'],
      [1, 'hostile-hello'],
    ] as const)
    if (persona === 'node') {
      ctx.selfId = `fuzz-b${options.batch}-l${lane}-s${n}`
      const services = rngForSocket.chance(0.5) ? ['FuzzService'] : ['FuzzService', rngForSocket.string(8)]
      send(socket, {
        kind: 'hello',
        data: encodeFrame([FrameType.Hello, PROTOCOL_VERSION, ctx.selfId, services, ['fuzz-a']]),
      })
      socket.onRequest = (frame) => answer(socket, ctx, frame[1])
    } else if (persona === 'hostile-hello') {
      send(socket, hostileHello(rngForSocket, ctx))
    }
    return [socket, ctx]
  }

  // A node that is routed a call answers it correctly, in pieces, with garbage, twice, or never.
  const answer = (socket: FuzzSocket, ctx: FuzzContext, relayId: number) => {
    ctx.relayIds.push(relayId)
    const choice = ctx.rng.weighted([
      [4, 'value'],
      [2, 'stream'],
      [1, 'garbage'],
      [1, 'twice'],
      [3, 'never'],
    ] as const)
    const value = encodeValue('from a fuzz node')
    if (choice === 'value' || choice === 'twice') {
      socket.send([FrameType.Response, relayId, ResponseKind.Value, value])
      if (choice === 'twice') socket.send([FrameType.Response, relayId, ResponseKind.Value, value])
    } else if (choice === 'stream') {
      socket.send([FrameType.Response, relayId, ResponseKind.Next, value])
      socket.send([FrameType.Response, relayId, ResponseKind.Next, value])
      if (ctx.rng.chance(0.5)) socket.send([FrameType.Response, relayId, ResponseKind.Complete, null])
    } else if (choice === 'garbage') {
      socket.send([FrameType.Response, relayId, ResponseKind.Value, ctx.rng.bytes(16)])
    }
  }

  const lane = async (index: number, quota: number) => {
    let socket: FuzzSocket | undefined
    let ctx: FuzzContext | undefined
    const laneRng = rng.fork(1000 + index)
    for (let sent = 0; sent < quota; sent++) {
      if (!socket?.open) [socket, ctx] = await open(index, laneRng.fork(sent))
      const huge = hugeLeft > 0 && laneRng.chance(options.huge / options.messages)
      if (huge) hugeLeft--
      send(
        socket,
        huge ? hugeMessage(laneRng, ctx!, options.maxPayloadBytes) : everydayMessage(laneRng, ctx!),
      )
      // Let the relay's answers in (and our pongs out) now and then, and never queue without bound.
      if (sent % 8 === 7 || huge) await new Promise((resolve) => setImmediate(resolve))
      if (socket.buffered > 4 * options.maxPayloadBytes) {
        await within(10_000, `${socket.label} to drain its send buffer`, drained(socket))
      }
    }
  }

  const oversized = async (index: number) => {
    const socketRng = rng.fork(5000 + index)
    const socket = new FuzzSocket(options.url, `fuzz b${options.batch} oversized ${index}`)
    report.sockets++
    sockets.push(socket)
    oversizedSockets.add(socket)
    lastSent.set(socket, [])
    await within(5000, `${socket.label} to connect`, socket.opened)
    if (socketRng.chance(0.5)) {
      send(socket, {
        kind: 'hello',
        data: encodeFrame([FrameType.Hello, PROTOCOL_VERSION, `fuzz-big-${options.batch}-${index}`, [], []]),
      })
    }
    const bytes = options.maxPayloadBytes + socketRng.int(1, 1 << 20)
    send(
      socket,
      socketRng.chance(0.5)
        ? { kind: 'oversized-bytes', data: socketRng.bytes(bytes) }
        : {
            kind: 'oversized-publish',
            data: encodeFrame([
              FrameType.Publish,
              'fuzz-a',
              new TextEncoder().encode(hugeString(bytes)),
              null,
            ]),
          },
    )
    const closed = await within(10_000, `${socket.label} to be closed by the relay`, socket.closed)
    if (closed.code !== 1009) {
      report.violations.push(
        `${socket.label}: an oversized message (${bytes} B) closed it with ${closed.code}, expected 1009`,
      )
    }
  }

  const perLane = Math.ceil(options.messages / options.lanes)
  await Promise.all([
    ...Array.from({ length: options.lanes }, (_, i) =>
      lane(i, Math.min(perLane, options.messages - i * perLane)),
    ),
    ...Array.from({ length: options.oversized }, (_, i) => oversized(i)),
  ])

  for (const socket of sockets) socket.close()
  const closes = await within(
    10_000,
    'every fuzz socket to close',
    Promise.all(sockets.map((socket) => socket.closed)),
  )
  closes.forEach((close: FuzzClose, i) => {
    const socket = sockets[i]!
    bump(report.closes, `${close.byRelay ? 'relay' : 'us'} ${close.code}`)
    for (const [type, count] of socket.received)
      bump(report.received, frameNames[type] ?? String(type), count)
    const trail = `last sent: ${lastSent.get(socket)!.join(', ')}`
    if (socket.undecodable.length > 0) {
      report.violations.push(
        `${socket.label}: the relay sent undecodable data: ${socket.undecodable[0]} (${trail})`,
      )
    }
    if (close.byRelay && !oversizedSockets.has(socket) && !REFUSALS.has(close.code)) {
      report.violations.push(
        `${socket.label}: closed by the relay with ${close.code} "${close.reason}" (${trail})`,
      )
    }
  })
  return report
}

/** Resolves when the socket's send buffer is empty, checking on each turn of the event loop. */
async function drained(socket: FuzzSocket): Promise<void> {
  while (socket.open && socket.buffered > 0) await new Promise((resolve) => setTimeout(resolve, 5))
}
