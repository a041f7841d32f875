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
