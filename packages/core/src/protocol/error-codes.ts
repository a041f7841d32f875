/**
 * Every error code Spider Mesh itself produces. Application errors keep their own `code`.
 * The first three are wire-compatible with the spec (`@spider-mesh/ws` README).
 */
export const ErrorCode = {
  /** No provider for the service, or the provider / relay was lost mid-call. */
  MICROSERVICE_OFFLINE: 'MICROSERVICE_OFFLINE',
  /** The service exists but has no such public method. */
  MICROSERVICE_NOT_FOUND: 'MICROSERVICE_NOT_FOUND',
  /** No value arrived within the call's inactivity window. */
  MICROSERVICE_RPC_TIMEOUT: 'MICROSERVICE_RPC_TIMEOUT',
  /** Wrong argument count, or arguments that cannot be serialised. */
  INVALID_ARGUMENTS: 'INVALID_ARGUMENTS',
  /** The provider produced a value that cannot be serialised. */
  SERIALIZATION_ERROR: 'SERIALIZATION_ERROR',
  /** A malformed, unknown or unexpected frame. */
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  /** Peers speak different protocol versions. */
  PROTOCOL_VERSION_MISMATCH: 'PROTOCOL_VERSION_MISMATCH',
  /** A frame exceeded the size limit. */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The principal may not do this. */
  ACCESS_DENIED: 'ACCESS_DENIED',
  /** A limit (calls in flight, rate) was reached; retry later. */
  OVERLOADED: 'OVERLOADED',
  /** Another live connection already owns this node id. */
  NODE_ID_CONFLICT: 'NODE_ID_CONFLICT',
  /** The same transporter or service instance was registered twice. */
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
  /** The mesh was closed; no further calls are possible. */
  MESH_CLOSED: 'MESH_CLOSED',
  /** The provider is on another relay of the cluster, and this relay cannot reach NATS now. */
  CLUSTER_UNAVAILABLE: 'CLUSTER_UNAVAILABLE',
  /** The caller cancelled the call, or is gone (the reason of a served call's AbortSignal). */
  CALL_CANCELLED: 'CALL_CANCELLED',
  /** A provider's Observable emitted more than maxStreamBufferBytes past what its caller has taken. */
  STREAM_OVERFLOW: 'STREAM_OVERFLOW',
  /** A bad option or argument given to a Spider Mesh API. */
  INVALID_OPTION: 'INVALID_OPTION',
  /** A record write's `expectedVersion` is not the record's version (`data.version` is the current one). */
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  /** A record patch's operation failed (a failed `test`, a missing path): nothing was written. */
  PATCH_FAILED: 'PATCH_FAILED',
  /** `listen(topic, { history })` on a topic no pattern of the relay's `topics` option matches. */
  TOPIC_NOT_RETAINED: 'TOPIC_NOT_RETAINED',
  /** The relay's shared store (NATS JetStream / KV in a cluster) cannot be used, e.g. nats-server runs without -js. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
} as const

/** Union of the codes in {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode]
