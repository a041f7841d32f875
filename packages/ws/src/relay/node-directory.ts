import {
  encodeFrame,
  FrameType,
  type NodeFrame,
  type RequestOptions,
  type ServiceCatalog,
  sameCatalogs,
  type WelcomeNode,
} from '@spider-mesh/core'
import { sameList } from '../same-list.js'
import { type AnnouncementLimits, widenInterest } from './announcement-limits.js'
import type { CallEndpoint } from './call-endpoint.js'
import type { RelayPeer } from './relay-peer.js'
import { ServiceTable } from './service-table.js'

/** A node reached through another relay of the cluster, as the directory needs it. */
export interface RemoteListing extends CallEndpoint {
  readonly nodeId: string
  /** What the node's relay announced it serves. */
  services: string[]
  /** Its methods and versions per service, when its relay announced them. */
  catalog?: ServiceCatalog
  /** What the node said about itself in its Hello. */
  readonly meta: Record<string, string | undefined>
  /** The id and the name of the relay it is connected to. */
  readonly relayId: string
  readonly relayName: string
}

/** Every way one node id is reached: its connection here, and the relays it is listed on. */
interface NodeRoutes {
  local: RelayPeer | undefined
  /** In the order the relays announced it; the first is the one calls go through. */
  remotes: RemoteListing[]
}

/**
 * The relay's view of the mesh: the routable nodes connected here plus, in a cluster, those
 * listed by other relays, one entry per node id however many relays it is connected to. Every
 * change is applied to the round-robin table and told to the connected nodes as one Node or
 * Offline frame, only when what they can see changed: a node reached through a second relay, or
 * moving from one relay to another, is not a leave and a join.
 */
export class NodeDirectory {
  readonly #routes = new Map<string, NodeRoutes>()
  readonly #services: ServiceTable
  readonly #peers: () => Iterable<RelayPeer>

  /**
   * `peers` are the connections that hear about changes (those that said Hello); `warn` hears
   * when the providers of a service start to differ in methods or version.
   */
  constructor(peers: () => Iterable<RelayPeer>, warn?: (message: string) => void) {
    this.#peers = peers
    this.#services = new ServiceTable(warn)
  }

  /** Services with at least one provider. */
  get serviceCount(): number {
    return this.#services.size
  }

  /** Node ids in the directory. */
  get size(): number {
    return this.#routes.size
  }

  /** The next provider of a service in turn that can take the call (see ServiceTable.next). */
  next(
    service: string,
    preferLocal: boolean,
    method?: string,
    options?: RequestOptions,
  ): CallEndpoint | undefined {
    return this.#services.next(service, preferLocal, method, options)
  }

  /** The providers of a service, in rotation order. */
  providers(service: string): readonly CallEndpoint[] {
    return this.#services.providers(service)
  }

  /** Whether the providers of a service announced different methods or versions. */
  mixed(service: string): boolean {
    return this.#services.mixed(service)
  }

  /** The endpoint calls pinned to `nodeId` go to, or undefined when it is not routable. */
  endpoint(nodeId: string): CallEndpoint | undefined {
    const routes = this.#routes.get(nodeId)
    return routes && effective(routes)
  }

  /**
   * Every routable node but `except` (all of them, or those serving a service in `to`'s interest),
   * as Welcome lists them; `to` is then known to have been told about them.
   */
  list(except: string, to?: RelayPeer): WelcomeNode[] {
    const nodes: WelcomeNode[] = []
    for (const [nodeId, routes] of this.#routes) {
      const end = effective(routes)
      if (!end || nodeId === except) continue
      const services = servicesOf(end)
      if (to && !wants(to, services)) continue
      nodes.push(end.catalog ? [nodeId, services, end.catalog] : [nodeId, services])
      if (to?.interest) to.told.add(nodeId)
    }
    return nodes
  }

  /**
   * A node asked for more services' entries (`'*'`: all): it is sent a Node frame for each
   * routable node it was not told about yet that serves one of them.
   */
  addInterest(peer: RelayPeer, services: string[], limits: AnnouncementLimits): void {
    if (peer.interest === null) return
    widenInterest(peer, services, limits)
    for (const [nodeId, routes] of this.#routes) {
      const end = effective(routes)
      if (!end || nodeId === peer.nodeId || peer.told.has(nodeId)) continue
      const served = servicesOf(end)
      if (!wants(peer, served)) continue
      if (peer.interest) peer.told.add(nodeId)
      peer.sendFrame(nodeFrame(nodeId, served, end.catalog))
    }
    // Wanting every node now, it has been told of all of them: nothing left to track.
    if (peer.interest === null) peer.told.clear()
  }

  /** The other relays' listings of one node id (usually none: most nodes are on one relay). */
  remotesOf(nodeId: string): readonly RemoteListing[] {
    return this.#routes.get(nodeId)?.remotes ?? []
  }

  /** The remote listings, for /directory. */
  *remotes(): Iterable<RemoteListing> {
    for (const routes of this.#routes.values()) yield* routes.remotes
  }

  /** A node connected here became routable with `peer.services`. */
  listLocal(peer: RelayPeer): void {
    this.#change(peer.nodeId!, (routes) => {
      peer.listed = true
      routes.local = peer
    })
  }

  /** A routable node connected here changed its services or catalog (already set on the peer). */
  changeLocal(peer: RelayPeer, previous: string[], previousCatalog: ServiceCatalog | undefined): void {
    this.#change(peer.nodeId!, () => {}, { end: peer, previous, previousCatalog })
  }

  /** A node connected here stopped being routable. `notify` false: nobody is left to tell. */
  unlistLocal(peer: RelayPeer, notify = true): void {
    if (!peer.listed) return
    this.#change(
      peer.nodeId!,
      (routes) => {
        peer.listed = false
        if (routes.local === peer) routes.local = undefined
      },
      undefined,
      notify,
    )
  }

  /** Another relay listed a node (or changed its services: pass what they and its catalog were). */
  upsertRemote(listing: RemoteListing, previous?: string[], previousCatalog?: ServiceCatalog): void {
    this.#change(
      listing.nodeId,
      (routes) => {
        if (!routes.remotes.includes(listing)) routes.remotes.push(listing)
      },
      previous && { end: listing, previous, previousCatalog },
    )
  }

  /** Another relay no longer lists a node (it left, or the relay is gone). */
  removeRemote(listing: RemoteListing): void {
    this.#change(listing.nodeId, (routes) => {
      const index = routes.remotes.indexOf(listing)
      if (index !== -1) routes.remotes.splice(index, 1)
    })
  }

  /** Forgets everything without telling anyone (the relay is closing every connection). */
  clear(): void {
    this.#routes.clear()
    this.#services.clear()
  }

  /**
   * Applies one edit to a node's routes, then moves its services in the round-robin table and
   * tells the connected nodes, both only as far as what is routable changed. `changed` says whose
   * services (and catalog) the caller already replaced, and what they were.
   */
  #change(
    nodeId: string,
    edit: (routes: NodeRoutes) => void,
    changed?: { end: CallEndpoint; previous: string[]; previousCatalog: ServiceCatalog | undefined },
    notify = true,
  ): void {
    let routes = this.#routes.get(nodeId)
    if (!routes) {
      routes = { local: undefined, remotes: [] }
      this.#routes.set(nodeId, routes)
    }
    const before = effective(routes)
    const replaced = changed !== undefined && changed.end === before
    const beforeServices = !before ? [] : replaced ? changed.previous : servicesOf(before)
    const beforeCatalog = replaced ? changed.previousCatalog : before?.catalog
    edit(routes)
    const after = effective(routes)
    const afterServices = after ? servicesOf(after) : []
    if (!after && !routes.local && routes.remotes.length === 0) this.#routes.delete(nodeId)
    const sameServices = sameList(beforeServices, afterServices)
    const sameCatalog = sameCatalogs(beforeCatalog, after?.catalog)
    if (before === after && sameServices && sameCatalog) return
    // Removed and added again even when only the catalog changed: the table rechecks whether
    // the providers of each service still agree.
    if (before) for (const service of beforeServices) this.#services.remove(service, before)
    if (after) for (const service of afterServices) this.#services.add(service, after)
    if (!notify) return
    if (!after) this.#tellGone(nodeId)
    else if (!before || !sameServices || !sameCatalog) this.#tellNode(nodeId, afterServices, after.catalog)
  }

  /**
   * Tells a join or a change to every connection that said Hello but the node itself: to those
   * that want one of its services, and to those that were told about it before (so their view
   * stays true), not to everyone else.
   */
  #tellNode(about: string, services: string[], catalog: ServiceCatalog | undefined): void {
    let bytes: Uint8Array | undefined
    for (const peer of this.#peers()) {
      if (peer.nodeId === null || peer.nodeId === about) continue
      if (peer.interest) {
        if (!peer.told.has(about) && !wants(peer, services)) continue
        peer.told.add(about)
      }
      bytes ??= encodeFrame(nodeFrame(about, services, catalog))
      peer.send(bytes)
    }
  }

  /** Tells a leave to the connections that were told about the node. */
  #tellGone(about: string): void {
    let bytes: Uint8Array | undefined
    for (const peer of this.#peers()) {
      if (peer.nodeId === null || peer.nodeId === about) continue
      // A connection that wants every node was told of this one too.
      if (peer.interest && !peer.told.delete(about)) continue
      bytes ??= encodeFrame([FrameType.Offline, about])
      peer.send(bytes)
    }
  }
}

/** The endpoint a node's calls go to: its connection here wins over any other relay. */
function effective(routes: NodeRoutes): CallEndpoint | undefined {
  if (routes.local?.listed) return routes.local
  return routes.remotes[0]
}

/** Whether a connection wants the entry of a node serving `services`. */
function wants(peer: RelayPeer, services: string[]): boolean {
  const interest = peer.interest
  return interest === null || services.some((service) => interest.has(service))
}

function nodeFrame(nodeId: string, services: string[], catalog: ServiceCatalog | undefined): NodeFrame {
  return catalog ? [FrameType.Node, nodeId, services, catalog] : [FrameType.Node, nodeId, services]
}

function servicesOf(end: CallEndpoint): string[] {
  return (end as RelayPeer | RemoteListing).services
}
