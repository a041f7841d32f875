import { HistoryService } from '../history/history-service.js'
import { PresenceService } from '../presence/presence-service.js'
import { RecordsService } from '../records/records-service.js'
import type { RelayRouterOptions } from '../relay-options.js'
import type { HostedContext } from './hosted-service.js'
import type { HostedServices } from './hosted-services.js'

/**
 * Adds the services every relay hosts. One line per capability; each service chooses its store
 * when first used (in memory, or NATS JetStream / KV when the relay is in a cluster).
 */
export function addHostedServices(
  services: HostedServices,
  context: HostedContext,
  options: RelayRouterOptions,
): void {
  services.add(new HistoryService(context, options.topics))
  services.add(new RecordsService(context))
  services.add(new PresenceService(context, { maxNameLength: options.maxNameLength }))
}
