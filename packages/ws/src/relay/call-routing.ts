import {
  ErrorCode,
  type MatchCandidate,
  noMatchingProvider,
  type RequestOptions,
  satisfiesRange,
} from '@spider-mesh/core'
import type { CallEndpoint, Refusal } from './call-endpoint.js'
import type { ClusterPort } from './cluster-port.js'
import { type HostedServices, isHostedName } from './hosted/hosted-services.js'
import type { NodeDirectory } from './node-directory.js'
import { asCandidate } from './provider-signature.js'
import type { RelayPeer } from './relay-peer.js'

/** The tables a routing decision reads. */
export interface RoutingTables {
  /** Node ids bound to a connection of this relay. */
  nodes: ReadonlyMap<string, RelayPeer>
  directory: NodeDirectory
  cluster: ClusterPort | undefined
  /** The relay's own services (`$` names): always served here, never by a node or another relay. */
  hosted: HostedServices
}

/**
 * The provider for a call: the pinned node, or the next of the service round-robin that has the
 * method (and a version in the range asked for), here or on another relay. A call from another
 * relay names the node its relay chose: it is served here or refused, never sent on again (two
 * relays must not pass a call back and forth).
 */
export function routeCall(
  { nodes, directory, cluster, hosted }: RoutingTables,
  caller: CallEndpoint,
  service: string,
  method: string,
  destination: string | null,
  options?: RequestOptions,
): CallEndpoint | Refusal {
  const version = options?.version
  if (isHostedName(service)) return hosted.endpoint(service)
  if (caller.remote) {
    const peer = destination === null ? undefined : nodes.get(destination)
    if (peer?.listed) return peer
    return offline(
      `Node "${destination}" is no longer connected to its relay (call to "${service}.${method}")`,
    )
  }
  // While the other relays cannot be reached, a provider here takes every turn it can.
  const preferLocal = cluster !== undefined && (cluster.preferLocal || !cluster.reachable)
  const end =
    destination === null
      ? directory.next(service, preferLocal, method, options)
      : directory.endpoint(destination)
  if (!end && destination === null && directory.providers(service).length > 0) {
    return noMatchingProvider(directory.providers(service).map(candidate), service, method, version)
  }
  // A pinned call is checked against the range only: a missing method is the provider's to say.
  if (end && version !== undefined && !satisfiesRange(end.catalog?.[service]?.version, version)) {
    return noMatchingProvider([candidate(end)], service, method, version)
  }
  if (!end) {
    return offline(
      destination === null
        ? `No provider for service "${service}"`
        : `Node "${destination}" is not connected to the relay (call to "${service}.${method}")`,
    )
  }
  const refusal = end.remote ? cluster?.refuse(end) : undefined
  return refusal ?? end
}

/** A provider as refusals name it to the caller: by node id. */
function candidate(end: CallEndpoint): MatchCandidate {
  return asCandidate(end, end.nodeId ?? end.label)
}

function offline(message: string): Refusal {
  return { code: ErrorCode.MICROSERVICE_OFFLINE, message }
}
