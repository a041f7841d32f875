import type { TransportLink } from '../transport/transporter.js'

/**
 * The link a call to `service` (pinned to `nodeId`, when given) goes out on: with several
 * transporters, the first whose directory lists a provider for it; else the first link.
 */
export function pickLink(
  links: readonly TransportLink[],
  service: string,
  nodeId: string | undefined,
): TransportLink | undefined {
  if (links.length <= 1) return links[0]
  for (const link of links) {
    const nodes = link.directory?.listNodes(service)
    if (nodes && (nodeId === undefined ? nodes.length > 0 : nodes.some((n) => n.node_id === nodeId)))
      return link
  }
  return links[0]
}
