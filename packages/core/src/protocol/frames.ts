import { createDecoder, type RawTake } from './bounded-decoder.js'
import { ErrorCode } from './error-codes.js'
import { MeshError } from './errors.js'
import { FastEncoder } from './fast-encoder.js'
import type { ServiceCatalog } from './packets.js'

/**
 * Wire frames between a node and a relay. Each WebSocket binary message is one msgpack array
 * whose first element is the frame type. Payloads (arguments, results, pub/sub messages) ride as
 * `bin` elements: the relay reads the small header and forwards the payload bytes untouched.
 */
export const PROTOCOL_VERSION = 1

/** Frame type numbers. Part of the protocol: never renumber. */
export const FrameType = {
  Hello: 1,
  Welcome: 2,
  Node: 3,
  Offline: 4,
  Services: 5,
  Request: 6,
  Response: 7,
  Cancel: 8,
  Publish: 9,
  Subscribe: 10,
  Unsubscribe: 11,
  Ping: 12,
  Pong: 13,
  Error: 14,
  Goodbye: 15,
  Interest: 16,
  Credit: 17,
} as const

/** What a node tells about itself in Hello (shown by `spider-mesh ls` and the relay's /directory). */
export interface NodeMeta {
  /** The @spider-mesh/core version the node runs. */
  version?: string
  /** `bun`, `node`, `browser`, `react-native`, … */
  runtime?: string
  [key: string]: string | undefined
}

/**
 * `[Hello, version, nodeId, services, topics, meta?, interest?, catalog?]` — node → relay, first
 * frame on a connection. `meta` is optional so minimal clients can omit it. `interest` opts in to
 * discovery by interest: the relay then sends the node only the directory entries of those
 * services (`'*'`: all), more with Interest frames; without it (or null) the node hears of every
 * node (as before). `catalog` says per service which methods (and version) the node serves, so
 * the relay routes a call only to providers that have its method.
 */
export type HelloFrame =
  | [typeof FrameType.Hello, number, string, string[], string[]]
  | [typeof FrameType.Hello, number, string, string[], string[], NodeMeta]
  | [typeof FrameType.Hello, number, string, string[], string[], NodeMeta, string[]]
  | [typeof FrameType.Hello, number, string, string[], string[], NodeMeta, string[] | null, ServiceCatalog]
/** Limits a relay announces in Welcome, so nodes can refuse what the relay would refuse anyway. */
export interface RelayLimits {
  /** Largest message the relay accepts, in bytes. */
  maxPayloadBytes?: number
  /** Calls one connection may have in flight through the relay. */
  maxInFlight?: number
}

/** A node in Welcome: `[nodeId, services, catalog?]` (the catalog when the node announced one). */
export type WelcomeNode = [string, string[]] | [string, string[], ServiceCatalog]

/**
 * `[Welcome, version, nodeId, nodes, heartbeatMs, limits?]` — relay → node; `nodes` excludes the
 * receiver.
 */
export type WelcomeFrame =
  | [typeof FrameType.Welcome, number, string, WelcomeNode[], number]
  | [typeof FrameType.Welcome, number, string, WelcomeNode[], number, RelayLimits]
/** `[Node, nodeId, services, catalog?]` — relay → node: a node joined or changed its services. */
export type NodeFrame =
  | [typeof FrameType.Node, string, string[]]
  | [typeof FrameType.Node, string, string[], ServiceCatalog]
/** `[Offline, nodeId]` — relay → node: a node left. */
export type OfflineFrame = [typeof FrameType.Offline, string]
/** `[Services, services, catalog?]` — node → relay: this node's services changed. */
export type ServicesFrame =
  | [typeof FrameType.Services, string[]]
  | [typeof FrameType.Services, string[], ServiceCatalog]
/**
 * The optional per-call fields of a Request. Each is absent unless the call uses it, and the
 * whole map is absent for a plain call, so the common Request stays six fields.
 */
export interface RequestOptions {
  /** node → relay: a semver range the provider's service version must satisfy (relay only). */
  version?: string
  /** The call's remaining time in ms when this hop sent it (its deadline, clock-free). */
  deadline?: number
  /** Call metadata: string values (trace context, tenant, …), at most 64 entries. */
  meta?: Record<string, string>
  /** Stream credit the caller grants up front: items the provider may send before more Credit. */
  window?: number
  /** relay → provider: the principal the relay authenticated the caller as (never the caller's say). */
  principal?: unknown
  /** node → relay: the balancing key of consistent hashing (relay only). */
  key?: string
  /** node → relay: how the relay picks among providers: `'least-in-flight'`, or round-robin. */
  balance?: string
}

/**
 * `[Request, id, service, method, node, payload, options?]`. node → relay: `node` is the pinned
 * destination or null. relay → provider: `id` is the relay's own id and `node` is the stamped
 * caller; the relay rebuilds `options` (it drops what only it reads, stamps `principal`).
 */
export type RequestFrame =
  | [typeof FrameType.Request, number, string, string, string | null, Uint8Array]
  | [typeof FrameType.Request, number, string, string, string | null, Uint8Array, RequestOptions]
/** `[Response, id, kind, payload]` — see ResponseKind. */
export type ResponseFrame = [typeof FrameType.Response, number, number, Uint8Array | null]
/**
 * `[Cancel, id, reason?]` — the caller no longer wants the response stream. `reason` is the
 * error code the caller ended the call with when it was not a plain cancel
 * (`MICROSERVICE_RPC_TIMEOUT`: its timeout or deadline passed), so the provider's signal says why.
 */
export type CancelFrame = [typeof FrameType.Cancel, number] | [typeof FrameType.Cancel, number, string]
/** `[Publish, topic, payload, source]` — source is null from a node and stamped by the relay. */
export type PublishFrame = [typeof FrameType.Publish, string, Uint8Array, string | null]
/** `[Subscribe, topic]`. */
export type SubscribeFrame = [typeof FrameType.Subscribe, string]
/** `[Unsubscribe, topic]`. */
export type UnsubscribeFrame = [typeof FrameType.Unsubscribe, string]
/** `[Ping, timestamp]` — either side; answered with a Pong carrying the same timestamp. */
export type PingFrame = [typeof FrameType.Ping, number]
/** `[Pong, timestamp]`. */
export type PongFrame = [typeof FrameType.Pong, number]
/** `[Error, code, message, requestId]` — a protocol-level error; requestId null if not about a call. */
export type ErrorFrame = [typeof FrameType.Error, string, string, number | null]
/** `[Goodbye, reason]` — the sender is going away; stop routing to it. */
export type GoodbyeFrame = [typeof FrameType.Goodbye, string]
/** `[Interest, services]` — node → relay: also send me the directory entries of these services (`'*'`: all). */
export type InterestFrame = [typeof FrameType.Interest, string[]]

/**
 * `[Credit, id, items]` — caller → relay → provider: the caller accepts `items` more values of
 * the stream `id` (flow control; see the Request's `window`). Ids are mapped like Cancel's.
 */
export type CreditFrame = [typeof FrameType.Credit, number, number]

/** Any valid frame. */
export type Frame =
  | HelloFrame
  | WelcomeFrame
  | NodeFrame
  | OfflineFrame
  | ServicesFrame
  | RequestFrame
  | ResponseFrame
  | CancelFrame
  | PublishFrame
  | SubscribeFrame
  | UnsubscribeFrame
  | PingFrame
  | PongFrame
  | ErrorFrame
  | GoodbyeFrame
  | InterestFrame
  | CreditFrame

const encoder = new FastEncoder()
// Frames nest at most 6 levels (Welcome's node list → node → catalog → service → methods);
// anything deeper is hostile.
const decoder = createDecoder({ maxDepth: 7 })

/** Encodes a frame into a fresh byte array (safe to hand to a socket that queues it). */
export function encodeFrame(frame: Frame): Uint8Array {
  return encoder.encode(frame)
}

const isStr = (v: unknown): v is string => typeof v === 'string'
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isBin = (v: unknown): v is Uint8Array => v instanceof Uint8Array
/** Longest service or topic list a node may announce in one frame (an honest node has a handful). */
export const MAX_NAMES_PER_FRAME = 1000
const isStrList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= MAX_NAMES_PER_FRAME && v.every(isStr)
const isNodeList = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every(
    (n) =>
      Array.isArray(n) &&
      (n.length === 2 || (n.length === 3 && isServiceCatalog(n[2]))) &&
      isStr(n[0]) &&
      isStrList(n[1]),
  )
/** Longest version, version range or key a frame may carry. */
export const MAX_VERSION_LENGTH = 256
const isShort = (v: unknown): boolean => isStr(v) && v.length <= MAX_VERSION_LENGTH
// A plain map: msgpack maps decode to plain objects, and nothing else may stand in for one.
const isPlain = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
/** Most items one Credit frame (or a Request's window) may grant. */
export const MAX_CREDIT = 1 << 30
/** Most metadata entries a call may carry, and the longest value. */
export const MAX_CALL_META = 64
const isCallMeta = (v: unknown): boolean =>
  isPlain(v) &&
  Object.keys(v).length <= MAX_CALL_META &&
  Object.values(v).every((x) => isStr(x) && x.length <= 4096)
const isRequestOptions = (v: unknown): boolean =>
  isPlain(v) &&
  (v.version === undefined || isShort(v.version)) &&
  (v.deadline === undefined || (typeof v.deadline === 'number' && Number.isFinite(v.deadline))) &&
  (v.meta === undefined || isCallMeta(v.meta)) &&
  (v.window === undefined || (isInt(v.window) && v.window > 0 && v.window <= MAX_CREDIT)) &&
  (v.key === undefined || isShort(v.key)) &&
  (v.balance === undefined || isShort(v.balance))
const isServiceInfo = (v: unknown): boolean =>
  isPlain(v) &&
  isStrList(v.methods) &&
  (v.version === undefined || isShort(v.version)) &&
  (v.idempotent === undefined || isStrList(v.idempotent))
/** Whether a decoded value is a well-formed service catalog (what Hello, Services and Node carry). */
export function isServiceCatalog(v: unknown): v is ServiceCatalog {
  if (!isPlain(v)) return false
  const entries = Object.values(v)
  return entries.length <= MAX_NAMES_PER_FRAME && entries.every(isServiceInfo)
}

const isMeta = (v: unknown): boolean =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  !ArrayBuffer.isView(v) &&
  Object.values(v).every((x) => typeof x === 'string' && x.length <= 256)

const isLimits = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every(isInt)

/** Per frame type: fewest and most fields, and a validator over the decoded array. */
const shapes: Record<number, [number, number, (f: unknown[]) => boolean]> = {
  [FrameType.Hello]: [
    5,
    8,
    (f) =>
      isInt(f[1]) &&
      isStr(f[2]) &&
      isStrList(f[3]) &&
      isStrList(f[4]) &&
      (f.length === 5 || isMeta(f[5])) &&
      (f.length < 7 || isStrList(f[6]) || (f.length === 8 && f[6] === null)) &&
      (f.length < 8 || isServiceCatalog(f[7])),
  ],
  [FrameType.Welcome]: [
    5,
    6,
    (f) =>
      isInt(f[1]) && isStr(f[2]) && isNodeList(f[3]) && isInt(f[4]) && (f.length === 5 || isLimits(f[5])),
  ],
  [FrameType.Node]: [
    3,
    4,
    (f) => isStr(f[1]) && isStrList(f[2]) && (f.length === 3 || isServiceCatalog(f[3])),
  ],
  [FrameType.Offline]: [2, 2, (f) => isStr(f[1])],
  [FrameType.Services]: [2, 3, (f) => isStrList(f[1]) && (f.length === 2 || isServiceCatalog(f[2]))],
  [FrameType.Request]: [
    6,
    7,
    (f) =>
      isInt(f[1]) &&
      isStr(f[2]) &&
      isStr(f[3]) &&
      (f[4] === null || isStr(f[4])) &&
      isBin(f[5]) &&
      (f.length === 6 || isRequestOptions(f[6])),
  ],
  [FrameType.Response]: [
    4,
    4,
    (f) => isInt(f[1]) && isInt(f[2]) && f[2] <= 4 && (f[3] === null || isBin(f[3])),
  ],
  [FrameType.Cancel]: [2, 3, (f) => isInt(f[1]) && (f.length === 2 || isStr(f[2]))],
  [FrameType.Publish]: [4, 4, (f) => isStr(f[1]) && isBin(f[2]) && (f[3] === null || isStr(f[3]))],
  [FrameType.Subscribe]: [2, 2, (f) => isStr(f[1])],
  [FrameType.Unsubscribe]: [2, 2, (f) => isStr(f[1])],
  [FrameType.Ping]: [2, 2, (f) => typeof f[1] === 'number'],
  [FrameType.Pong]: [2, 2, (f) => typeof f[1] === 'number'],
  [FrameType.Error]: [4, 4, (f) => isStr(f[1]) && isStr(f[2]) && (f[3] === null || isInt(f[3]))],
  [FrameType.Goodbye]: [2, 2, (f) => isStr(f[1])],
  [FrameType.Interest]: [2, 2, (f) => isStrList(f[1])],
  [FrameType.Credit]: [3, 3, (f) => isInt(f[1]) && isInt(f[2]) && f[2] > 0 && f[2] <= MAX_CREDIT],
}

function invalid(value: unknown): MeshError | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    return new MeshError(ErrorCode.PROTOCOL_ERROR, 'Frame must be a non-empty msgpack array')
  }
  const shape = shapes[value[0] as number]
  if (!shape) return new MeshError(ErrorCode.PROTOCOL_ERROR, `Unknown frame type ${JSON.stringify(value[0])}`)
  // Optional fields are trailing: a frame has between `fewest` and `most` of them.
  const [fewest, most, valid] = shape
  if (value.length < fewest || value.length > most || !valid(value)) {
    const count = fewest === most ? `${fewest}` : `${fewest} to ${most}`
    return new MeshError(
      ErrorCode.PROTOCOL_ERROR,
      `Malformed frame of type ${value[0]}: expected ${count} fields of the documented types`,
    )
  }
  return undefined
}

function notMsgpack(bytes: Uint8Array, err: unknown): MeshError {
  return new MeshError(
    ErrorCode.PROTOCOL_ERROR,
    `Message is not valid msgpack (${bytes.byteLength} bytes): ${(err as Error).message}`,
  )
}

/**
 * Decodes and validates a message holding exactly one frame. Throws a {@link MeshError} with code
 * `PROTOCOL_ERROR` that says what was wrong for garbage, truncated input, unknown types and wrong
 * field types.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  let value: unknown
  try {
    value = decoder.decode(bytes)
  } catch (err) {
    throw notMsgpack(bytes, err)
  }
  const error = invalid(value)
  if (error) throw error
  return value as Frame
}

/** Checks one decoded value and hands it on as a frame (module level: no closure per message). */
function deliverValid(value: unknown, onFrame: (frame: Frame) => void): void {
  const error = invalid(value)
  if (error) throw error
  onFrame(value as Frame)
}

/**
 * Decodes every frame of one message, handing each to `onFrame` (which must not throw). Senders
 * coalesce the frames that are ready in the same tick into one WebSocket message, so a message
 * carries one or more frames back to back. Frames before a malformed one are delivered; then a
 * `PROTOCOL_ERROR` {@link MeshError} is thrown and the rest of the message is dropped. `take`
 * may handle a frame from its bytes instead (see {@link RawTake}); what it declines is decoded.
 */
export function decodeFrames(bytes: Uint8Array, onFrame: (frame: Frame) => void, take?: RawTake): void {
  try {
    decoder.decodeEach(bytes, deliverValid, onFrame, take)
  } catch (err) {
    throw err instanceof MeshError ? err : notMsgpack(bytes, err)
  }
}
