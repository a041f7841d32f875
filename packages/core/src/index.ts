import 'reflect-metadata'

/** What `RemoteServiceLinker.all(proxy)` returns and emits. */
export type { FanOut, FanOutResult } from './api/fan-out.js'
// API
/** Method decorator: calls of the method may be retried after reaching a provider. */
export { Idempotent } from './api/idempotent.js'
/** Class decorator that makes a class a service. */
export { Microservice, type MicroserviceOptions } from './api/microservice.js'
/** Types of proxies and their options. */
export type {
  Balance,
  LinkOptions,
  ProxyControls,
  RemoteMethod,
  RemoteService,
  ReservedName,
  WaitOptions,
  Yielded,
} from './api/proxy-types.js'
/** The Observable-and-Promise a proxy method returns. */
export { RemoteCall } from './api/remote-call.js'
/** Typed proxies for remote services. */
export { RemoteServiceLinker } from './api/remote-service-linker.js'
/** Declares a typed pub/sub topic. */
export { defineTopic } from './api/topic.js'
/** The context of the call a provider method is serving, and where it is kept across awaits. */
export {
  type CallContext,
  type ContextStorage,
  callContext,
  useContextStorage,
} from './mesh/call-context.js'
/** Sink and per-call options of the `mesh.request()` primitive. */
export type { CallControl, CallOptions, CallSink } from './mesh/call-sink.js'
/** Interceptors of served calls (before/after/error) and of sent calls (metadata). */
export type {
  CallerInterceptor,
  InterceptedCall,
  OutgoingCall,
  ProviderInterceptor,
} from './mesh/interceptors.js'
/** Logger contract and the built-in loggers. */
export { consoleLogger, type Logger, silentLogger } from './mesh/logger.js'
/** Lifecycle hooks a service may define (never remotely callable). */
export { LIFECYCLE_HOOKS } from './mesh/service-definition.js'
export { type CloseOptions, SpiderMesh, type SpiderMeshOptions, type Topic } from './mesh/spider-mesh.js'
/** For readers of raw frames (the relay's): a name's string from its bytes, and the decode hook. */
export type { RawTake } from './protocol/bounded-decoder.js'
/** The value codec (msgpack with Date, Map, Set, undefined and BigInt preserved). */
export { decodeValue, encodeValue } from './protocol/codec.js'
/** Error codes Spider Mesh produces. */
export { ErrorCode, type ErrorCodeValue } from './protocol/error-codes.js'
/** The error type of every Spider Mesh API, and the converters to and from the wire form. */
export {
  fromWireError,
  MeshError,
  registerErrorClass,
  toWireError,
  type WireError,
} from './protocol/errors.js'
/** Frames queued in one tick leave in one WebSocket message. */
export { FrameBatch, type FrameBatchOptions, type RawRequestRanges } from './protocol/frame-batch.js'
/** Wire frames between nodes and a relay, with a validating decoder. */
export {
  type CancelFrame,
  type CreditFrame,
  decodeFrame,
  decodeFrames,
  type ErrorFrame,
  encodeFrame,
  type Frame,
  FrameType,
  type GoodbyeFrame,
  type HelloFrame,
  type InterestFrame,
  isServiceCatalog,
  MAX_CREDIT,
  type NodeFrame,
  type NodeMeta,
  type OfflineFrame,
  type PingFrame,
  type PongFrame,
  PROTOCOL_VERSION,
  type PublishFrame,
  type RelayLimits,
  type RequestFrame,
  type RequestOptions,
  type ResponseFrame,
  type ServicesFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
  type WelcomeFrame,
  type WelcomeNode,
} from './protocol/frames.js'
/** Consistent hashing (`balance: { hash }`): a ring over providers, and its hash. */
export { HashRing, hash32 } from './protocol/hash-ring.js'
/** Mesh-level packets exchanged with transporters. */
export {
  type NodeRef,
  type PublishPacket,
  ResponseKind,
  type ResponseKindValue,
  type RpcRequestPacket,
  type RpcResponsePacket,
  type ServiceCatalog,
  type ServiceInfo,
  sameCatalogs,
  sameNodeLists,
  versionOf,
} from './protocol/packets.js'
/** Which providers may take a call (method and version), and why none can. */
export {
  canServe,
  describeProviders,
  type MatchCandidate,
  noMatchingProvider,
} from './protocol/provider-match.js'
export { binContent, type RawFrame, rawFrame, readRawFrame } from './protocol/raw-frames.js'
export { writeUint } from './protocol/raw-writes.js'
export { isVersion, isVersionRange, satisfiesRange } from './protocol/version-range.js'
// Realtime state (served by the relay)
/** Versioned JSON records on the relay (`mesh.records`): get, write with compare-and-set, RFC 6902 patch, watch. */
export {
  MeshRecords,
  type RecordUpdate,
  type RecordValue,
  type RecordWatchOptions,
  type RecordWriteOptions,
} from './realtime/mesh-records.js'
/** Presence: who listens to a topic, with meta and state (`mesh.presence`, `mesh.setPresence`). */
export type { SetPresenceOptions } from './realtime/presence-client.js'
export type { PresenceMember } from './realtime/presence-member.js'
/** RFC 6902 patches as records use them (rfc6902 underneath; whole-document operations included). */
export {
  applyRecordPatch,
  createRecordPatch,
  isPatchShape,
  type JsonPatchOperation,
} from './realtime/record-patch.js'
/** Options of `mesh.listen()` (`history`: replay the topic's retained messages first). */
export type { ListenOptions } from './realtime/topic-history.js'
/** Connects the meshes of one process to each other (tests, same-process meshes). */
export { InProcessTransporter, type InProcessTransporterOptions } from './transport/in-process-transporter.js'
// Transport
/** Contracts a transporter implements and the mesh side it talks to. */
export type {
  ServedCallControl,
  ServedCallHandle,
  ServiceDirectory,
  Transporter,
  TransporterHost,
  TransportLink,
} from './transport/transporter.js'
// Protocol
/** The @spider-mesh/core version (sent to relays in Hello). */
export { VERSION } from './version.js'
