import { decodeFrames, type Frame, FrameBatch, type RawTake } from '@spider-mesh/core'

/**
 * Hands each frame of one message from a relay to `onFrame`. A message that is not binary, or
 * holds a malformed frame, is reported with `warn` (the frames before it are delivered): the
 * connection stays, as one bad message from a relay must not cost this node its calls. The
 * message is one write turn (FrameBatch.beginTurn): the answers of a provider whose methods
 * return at once leave before this returns, not from a microtask. `take` may handle a frame
 * from its bytes instead (RawTake; RelayLink reads Requests and Responses so).
 */
export function readRelayMessage(
  data: unknown,
  url: string,
  onFrame: (frame: Frame) => void,
  warn: (message: string) => void,
  take?: RawTake,
): void {
  if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
    warn(`Relay ${url} sent a non-binary message; ignored`)
    return
  }
  // A Uint8Array (a Buffer, with binaryType 'nodebuffer') is read as it is: no ArrayBuffer made.
  const bytes =
    data instanceof Uint8Array
      ? data
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const outer = FrameBatch.beginTurn()
  try {
    decodeFrames(bytes, onFrame, take)
  } catch (err) {
    warn(`Relay ${url} sent a bad frame: ${(err as Error).message}`)
  } finally {
    if (outer) FrameBatch.endTurn()
  }
}
