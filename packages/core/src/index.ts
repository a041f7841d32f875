import 'reflect-metadata'

// Protocol
/** Error codes Spider Mesh produces. */
export { ErrorCode, type ErrorCodeValue } from './protocol/error-codes.js'
/** The error type of every Spider Mesh API, and the converters to and from the wire form. */
export { MeshError, type WireError, toWireError, fromWireError } from './protocol/errors.js'
/** The value codec (msgpack with Date, Map, Set, undefined and BigInt preserved). */
export { encodeValue, decodeValue } from './protocol/codec.js'
/** Mesh-level packets exchanged with transporters. */
export {
  ResponseKind,
  type ResponseKindValue,
  type RpcRequestPacket,
  type RpcResponsePacket,
  type PublishPacket,
  type NodeRef,
} from './protocol/packets.js'
/** Wire frames between nodes and a relay, with a validating decoder. */
export {
  PROTOCOL_VERSION,
  FrameType,
  encodeFrame,
  decodeFrame,
  type Frame,
  type HelloFrame,
  type WelcomeFrame,
  type NodeFrame,
  type OfflineFrame,
  type ServicesFrame,
  type RequestFrame,
  type ResponseFrame,
  type CancelFrame,
  type PublishFrame,
  type SubscribeFrame,
  type UnsubscribeFrame,
  type PingFrame,
  type PongFrame,
  type ErrorFrame,
  type GoodbyeFrame,
} from './protocol/frames.js'

// Transport
/** Contracts a transporter implements and the mesh side it talks to. */
export type { Transporter, TransportLink, TransporterHost, ServiceDirectory } from './transport/transporter.js'
/** Connects the meshes of one process to each other (tests, same-process meshes). */
export { InProcessTransporter, type InProcessTransporterOptions } from './transport/in-process-transporter.js'

// Mesh
/** One node of the mesh. */
export { SpiderMesh, type SpiderMeshOptions, type Topic } from './mesh/spider-mesh.js'
/** Sink and per-call options of the `mesh.request()` primitive. */
export type { CallSink, CallOptions } from './mesh/call-sink.js'
/** Logger contract and the built-in loggers. */
export { type Logger, consoleLogger, silentLogger } from './mesh/logger.js'
/** Lifecycle hooks a service may define (never remotely callable). */
export { LIFECYCLE_HOOKS } from './mesh/service-definition.js'

// API
/** Class decorator that makes a class a service. */
export { Microservice, type MicroserviceOptions } from './api/microservice.js'
/** Typed proxies for remote services. */
export { RemoteServiceLinker } from './api/remote-service-linker.js'
/** The Observable-and-Promise a proxy method returns. */
export { RemoteCall } from './api/remote-call.js'
/** Declares a typed pub/sub topic. */
export { defineTopic } from './api/topic.js'
/** Types of proxies and their options. */
export type {
  LinkOptions,
  RemoteService,
  RemoteMethod,
  Yielded,
  ProxyControls,
  WaitOptions,
  ReservedName,
} from './api/proxy-types.js'
