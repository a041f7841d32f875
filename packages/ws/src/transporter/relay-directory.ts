import { type NodeRef, type ServiceCatalog, sameCatalogs, type WelcomeNode } from '@spider-mesh/core'
import { sameList } from '../same-list.js'
import type { DiscoveryEvent } from './connection-status.js'

/**
 * The nodes seen through one relay (never this node). It outlives reconnects so that the relay's
 * re-sync (its Welcome) is diffed against what was known: only real changes become events.
 */
export class RelayDirectory {
  readonly #emit: (type: DiscoveryEvent['type'], nodeId: string, services: string[]) => void
  #nodes = new Map<string, string[]>()
  /** What nodes announced about their services (methods, version), for those that did. */
  #catalogs = new Map<string, ServiceCatalog>()
  /** Providers per service, rebuilt lazily after a change (changes are rare, lookups per call). */
  #byService: Map<string, NodeRef[]> | undefined

  constructor(emit: (type: DiscoveryEvent['type'], nodeId: string, services: string[]) => void) {
    this.#emit = emit
  }

  /** Replaces the view with the relay's full list, emitting what changed since the last one. */
  resync(nodes: WelcomeNode[]): void {
    const previous = this.#nodes
    const previousCatalogs = this.#catalogs
    this.#nodes = new Map()
    this.#catalogs = new Map()
    for (const [nodeId, services, catalog] of nodes) {
      this.#nodes.set(nodeId, services)
      if (catalog) this.#catalogs.set(nodeId, catalog)
    }
    this.#byService = undefined
    for (const [nodeId, services] of this.#nodes) {
      const before = previous.get(nodeId)
      if (!before) this.#emit('discovered', nodeId, services)
      else if (
        !sameList(before, services) ||
        !sameCatalogs(previousCatalogs.get(nodeId), this.#catalogs.get(nodeId))
      )
        this.#emit('changed', nodeId, services)
    }
    for (const [nodeId, services] of previous) {
      if (!this.#nodes.has(nodeId)) this.#emit('offline', nodeId, services)
    }
  }

  /** A node joined or changed its services; returns false when nothing actually changed. */
  upsert(nodeId: string, services: string[], catalog?: ServiceCatalog): boolean {
    const before = this.#nodes.get(nodeId)
    if (before && sameList(before, services) && sameCatalogs(this.#catalogs.get(nodeId), catalog))
      return false
    this.#nodes.set(nodeId, services)
    if (catalog) this.#catalogs.set(nodeId, catalog)
    else this.#catalogs.delete(nodeId)
    this.#byService = undefined
    this.#emit(before ? 'changed' : 'discovered', nodeId, services)
    return true
  }

  /** A node left; returns false when it was not known. */
  remove(nodeId: string): boolean {
    const before = this.#nodes.get(nodeId)
    if (!before) return false
    this.#nodes.delete(nodeId)
    this.#catalogs.delete(nodeId)
    this.#byService = undefined
    this.#emit('offline', nodeId, before)
    return true
  }

  has(nodeId: string): boolean {
    return this.#nodes.has(nodeId)
  }

  /** Providers of `service`; `rttMs` is the round trip to the relay they are reached through. */
  providers(service: string, rttMs: number | undefined): NodeRef[] {
    if (!this.#byService) {
      this.#byService = new Map()
      for (const [node_id, services] of this.#nodes) {
        const node: NodeRef = { node_id, services }
        const catalog = this.#catalogs.get(node_id)
        if (catalog) node.catalog = catalog
        if (rttMs !== undefined) node.rtt_ms = rttMs
        for (const service of services) {
          const list = this.#byService.get(service)
          if (list) list.push(node)
          else this.#byService.set(service, [node])
        }
      }
    }
    return this.#byService.get(service) ?? []
  }
}
