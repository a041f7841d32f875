import type { TransporterHost } from '../transport/transporter.js'
import { dispatchRequest, type LocalService, serveRequest } from './inbound-dispatch.js'
import type { MeshSettings } from './mesh-options.js'
import type { OutboundCalls } from './outbound-calls.js'
import type { TopicHub } from './topic-hub.js'

/**
 * The side of a mesh its transporters call (TransporterHost): requests for the services in
 * `services` (read at each request, so provide/unprovide apply at once), the responses to the
 * calls in `outbound`, and messages on topics.
 */
export function meshHost(
  settings: MeshSettings,
  services: ReadonlyMap<string, LocalService>,
  outbound: OutboundCalls,
  topics: TopicHub,
): TransporterHost {
  return {
    nodeId: settings.nodeId,
    meta: settings.meta,
    handleRequest: (packet, link) => dispatchRequest(services.get(packet.service), packet, link, settings),
    serve: (packet, link) => serveRequest(services.get(packet.service), packet, link, settings),
    handleResponse: (packet) => outbound.handleResponse(packet),
    handleResponseStep: (id, kind, payload) => outbound.handleStep(id, kind, payload),
    handlePublish: (packet) => topics.deliver(packet),
  }
}
