import { ErrorCode, FrameType, type ServiceCatalog } from '@spider-mesh/core'
import type { RelayLogger } from './relay-logger.js'
import type { RelayPeer } from './relay-peer.js'

/** What one node may announce (relay options `maxServicesPerNode`, `maxNameLength`). */
export interface AnnouncementLimits {
  maxServicesPerNode: number
  maxNameLength: number
}

/** More interest than this (services a node uses) is treated as interest in everything. */
export const MAX_INTEREST = 4096

/**
 * Keeps what a node may announce: names up to `maxNameLength` and, for services, at most
 * `maxServicesPerNode` of them. Each listed service is told to the nodes that use it, so one
 * Hello must not be amplified without bound. What is cut is reported to the node (one
 * PAYLOAD_TOO_LARGE Error frame naming the limit), never dropped silently.
 */
export function withinLimits(
  peer: RelayPeer,
  what: 'service' | 'topic',
  names: string[],
  limits: AnnouncementLimits,
  logger: RelayLogger,
): string[] {
  const long = names.filter((name) => name.length > limits.maxNameLength)
  let kept = long.length === 0 ? names : names.filter((name) => name.length <= limits.maxNameLength)
  const problems: string[] = []
  const reserved = what === 'service' ? kept.filter((name) => name.startsWith('$')) : []
  if (reserved.length > 0) {
    kept = kept.filter((name) => !name.startsWith('$'))
    const message = `${peer.label} may not provide ${reserved.map((n) => `"${n.slice(0, 40)}"`).join(', ')}: names starting with $ are reserved for the relay's own services; not listed`
    logger.debug(`[relay] ${message}`, peer.about('announcement_reserved', { names: reserved }))
    peer.sendFrame([FrameType.Error, ErrorCode.ACCESS_DENIED, message, null])
  }
  if (long.length > 0) {
    problems.push(
      `${long.length} ${what} name(s) longer than ${limits.maxNameLength} characters (maxNameLength), starting "${long[0]!.slice(0, 40)}…", which are not listed`,
    )
  }
  if (what === 'service' && kept.length > limits.maxServicesPerNode) {
    problems.push(
      `${kept.length} services, more than the ${limits.maxServicesPerNode} a node may announce (maxServicesPerNode), so only the first ${limits.maxServicesPerNode} are listed`,
    )
    kept = kept.slice(0, limits.maxServicesPerNode)
  }
  if (problems.length > 0) {
    const message = `${peer.label} announced ${problems.join(' and ')}`
    logger.debug(`[relay] ${message}`, peer.about('announcement_limited', { problems }))
    peer.sendFrame([FrameType.Error, ErrorCode.PAYLOAD_TOO_LARGE, message, null])
  }
  return kept
}

/**
 * Adds to a node's interest (discovery by interest). Names past `maxNameLength` cannot match a
 * listed service and are skipped; past MAX_INTEREST the node simply hears of every node.
 */
export function widenInterest(peer: RelayPeer, names: string[], limits: AnnouncementLimits): void {
  if (peer.interest === null) return
  if (names.includes('*') || peer.interest.size + names.length > MAX_INTEREST) {
    peer.interest = null
    return
  }
  for (const name of names) if (name.length <= limits.maxNameLength) peer.interest.add(name)
}

/**
 * The catalog entries of the services a node may list. An entry naming a method past
 * `maxNameLength` is dropped whole (the provider is then routed to as one that announced
 * nothing), since a partial list would keep calls of a method it has from reaching it.
 */
export function keptCatalog(
  services: string[],
  catalog: ServiceCatalog | undefined,
  limits: AnnouncementLimits,
): ServiceCatalog | undefined {
  if (catalog === undefined) return undefined
  const kept: ServiceCatalog = {}
  let any = false
  for (const service of services) {
    const info = catalog[service]
    if (!info || info.methods.some((method) => method.length > limits.maxNameLength)) continue
    kept[service] = info
    any = true
  }
  return any ? kept : undefined
}
