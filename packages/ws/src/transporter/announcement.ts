import {
  FrameType,
  type HelloFrame,
  PROTOCOL_VERSION,
  type ServiceCatalog,
  type ServicesFrame,
  type TransporterHost,
} from '@spider-mesh/core'
import type { RelayLinkOwner } from './relay-link-owner.js'

/**
 * What this node tells a relay about itself: Hello on every connection, Services when what it
 * serves changes. The catalog (methods and version per service) rides along only when the node
 * serves something, so a caller's Hello stays as small as before (and as old relays read it).
 */
export function helloFrame(host: TransporterHost, owner: RelayLinkOwner): HelloFrame {
  const { services, meta } = owner
  const topics = [...owner.topics]
  const interest = [...owner.interest]
  const { nodeId } = host
  return services.length === 0
    ? [FrameType.Hello, PROTOCOL_VERSION, nodeId, services, topics, meta, interest]
    : [
        FrameType.Hello,
        PROTOCOL_VERSION,
        nodeId,
        services,
        topics,
        meta,
        interest,
        servedCatalog(services, owner.catalog),
      ]
}

/** The Services frame for a new list of services. */
export function servicesFrame(services: string[], catalog: ServiceCatalog): ServicesFrame {
  return services.length === 0
    ? [FrameType.Services, services]
    : [FrameType.Services, services, servedCatalog(services, catalog)]
}

/** The catalog entries of the services announced (a transporter may be told more than it lists). */
function servedCatalog(services: string[], catalog: ServiceCatalog): ServiceCatalog {
  const served: ServiceCatalog = {}
  for (const service of services) {
    const info = catalog[service]
    if (info) served[service] = info
  }
  return served
}
