import type { RpcRequestPacket } from '../protocol/packets.js'
import type { ServedCallControl, ServedCallHandle, TransportLink } from '../transport/transporter.js'
import { type DispatchSettings, type LocalService, ServedCall } from './served-call.js'

export {
  DEFAULT_MAX_STREAM_BUFFER_BYTES,
  type DispatchSettings,
  type LocalService,
} from './served-call.js'

/**
 * Runs one incoming request against a local service and streams the outcome back on `link`.
 * Returns the function that stops the work (cancel from the caller, or the caller gone); called
 * with a number it grants stream credit. Never throws: every failure becomes an error response.
 */
export function dispatchRequest(
  service: LocalService | undefined,
  packet: RpcRequestPacket,
  link: TransportLink,
  settings: DispatchSettings,
): ServedCallHandle {
  return new ServedCall(packet, link, settings, service).start()
}

/**
 * The served call of an incoming request, not yet running (TransporterHost.serve): the
 * transporter registers it, then calls `run()`; it stops and credits it without a function per call.
 */
export function serveRequest(
  service: LocalService | undefined,
  packet: RpcRequestPacket,
  link: TransportLink,
  settings: DispatchSettings,
): ServedCallControl {
  return new ServedCall(packet, link, settings, service)
}
