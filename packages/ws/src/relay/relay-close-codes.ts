/**
 * WebSocket close codes the relay uses. 1xxx codes are the standard ones; the 44xx codes mirror
 * the HTTP status of the same meaning so a log line is readable without this table.
 *
 * | Code | Meaning                                                                  |
 * | ---- | ------------------------------------------------------------------------ |
 * | 1001 | The relay is shutting down (a Goodbye frame was sent first).             |
 * | 1009 | A message exceeded `maxPayloadBytes` (closed by the socket library).     |
 * | 1011 | `isServerConnection` threw: the connection could not be classified.      |
 * | 4400 | Too many protocol errors on this connection.                              |
 * | 4408 | Nothing arrived within 2.5 heartbeat intervals, or no Hello in time.      |
 * | 4409 | Another live connection already owns the node id sent in Hello.           |
 * | 4426 | The node speaks another protocol version (an Error frame says which).     |
 * | 4429 | The connection sent frames at 10× `maxFramesPerSecond` (a flood).        |
 * | 4503 | Slow consumer: more than `maxBufferedBytes` waited in its send buffer.    |
 */
export const RelayCloseCode = {
  GoingAway: 1001,
  MessageTooBig: 1009,
  InternalError: 1011,
  TooManyProtocolErrors: 4400,
  HeartbeatTimeout: 4408,
  NodeIdConflict: 4409,
  VersionMismatch: 4426,
  Flood: 4429,
  SlowConsumer: 4503,
} as const

/** One of {@link RelayCloseCode}. */
export type RelayCloseCodeValue = (typeof RelayCloseCode)[keyof typeof RelayCloseCode]
