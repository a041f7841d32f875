import { sameList } from '../same-list.js'
import type { DiscoveryEvent } from './connection-status.js'

/**
 * Merges the discovery events of every relay a transporter is connected to into one stream:
 * a node reached through two relays (of one cluster, or two separate ones) is discovered once,
 * changes when its services really change, and goes offline only when no relay lists it.
 */
export class DiscoveryMerge {
  readonly #emit: (event: DiscoveryEvent) => void
  readonly #nodes = new Map<string, { urls: Set<string>; services: string[] }>()

  constructor(emit: (event: DiscoveryEvent) => void) {
    this.#emit = emit
  }

  /** One relay's event; passed on only when it changes the merged view. */
  push(event: DiscoveryEvent): void {
    const known = this.#nodes.get(event.node_id)
    if (event.type === 'offline') {
      if (!known?.urls.delete(event.url)) return
      if (known.urls.size > 0) return
      this.#nodes.delete(event.node_id)
      this.#emit(event)
      return
    }
    if (!known) {
      this.#nodes.set(event.node_id, { urls: new Set([event.url]), services: event.services })
      this.#emit({ ...event, type: 'discovered' })
      return
    }
    known.urls.add(event.url)
    if (sameList(known.services, event.services)) return
    known.services = event.services
    this.#emit({ ...event, type: 'changed' })
  }
}
