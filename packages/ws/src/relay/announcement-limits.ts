import { ErrorCode, FrameType } from '@spider-mesh/core'
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
  if (long.length > 0) {
    problems.push(
      `${long.length} ${what} name(s) longer than ${limits.maxNameLength} characters (maxNameLength), starting "${long[0]!.slice(0, 40)}…"`,
    )
  }
  if (what === 'service' && kept.length > limits.maxServicesPerNode) {
    problems.push(
      `${kept.length} services, more than the ${limits.maxServicesPerNode} a node may announce (maxServicesPerNode); the first ${limits.maxServicesPerNode} are listed`,
    )
    kept = kept.slice(0, limits.maxServicesPerNode)
  }
  if (problems.length > 0) {
    const message = `${peer.label} announced ${problems.join(' and ')}: not listed`
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
