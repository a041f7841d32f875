import type { Msg } from '@nats-io/transport-node'
import { encodeValue } from '@spider-mesh/core'
import type { NodeDirectory } from '../node-directory.js'
import { logEvent, type RelayLogger } from '../relay-logger.js'
import {
  type DeltaMessage,
  type DirectoryEntry,
  DirectoryKind,
  type DirectoryMessage,
  decodeMessage,
  isEntry,
  type RelayInfo,
  type SnapshotMessage,
} from './cluster-messages.js'
import { isNoResponders, type NatsBackbone } from './nats-backbone.js'
import { type RemoteFrameSink, RemoteNode, RemoteRelay } from './remote-relay.js'
import type { ClusterSubjects } from './subjects.js'

/** Every relay says it is alive this often. */
export const HEARTBEAT_MS = 1000
/** A relay not heard for this long is gone: its nodes leave everywhere (SIGKILL within 5 s). */
export const DEAD_AFTER_MS = 3500
/** A relay with calls in flight, silent this long, is probed (NATS "no responders" = gone, at once). */
const PROBE_AFTER_MS = 1500
const SNAPSHOT_TIMEOUT_MS = 2000

/** What the cluster directory needs from the cluster around it. */
export interface ClusterDirectoryHost {
  readonly relayId: string
  readonly info: RelayInfo
  readonly backbone: NatsBackbone
  readonly subjects: ClusterSubjects
  readonly logger: RelayLogger
  /** The router's directory, where other relays' nodes are listed. */
  readonly directory: NodeDirectory
  readonly sink: RemoteFrameSink
  /** This relay's own entries, for a snapshot. */
  localEntries(): [string, DirectoryEntry][]
  /** A relay is gone: end the calls that crossed to or from it. */
  relayLost(relay: RemoteRelay): void
}

/**
 * The cluster's shared directory, seen from one relay. Each relay owns its own entries and
 * publishes them as sequence-numbered deltas; a relay seen for the first time, or whose
 * heartbeat or delta shows a gap, is re-synced from a snapshot that replaces everything known
 * of it. Entries live only as long as their relay is heard, and a relay's id is new at every
 * start, so a stale provider (deepstream #1001/#799) cannot outlive its relay by construction.
 */
export class ClusterDirectory {
  readonly relays = new Map<string, RemoteRelay>()
  readonly #host: ClusterDirectoryHost
  #seq = 0

  constructor(host: ClusterDirectoryHost) {
    this.#host = host
  }

  /** This relay's directory sequence number. */
  get seq(): number {
    return this.#seq
  }

  start(): void {
    const { backbone, subjects, relayId } = this.#host
    backbone.subscribe(subjects.directory, (msg) => this.#onDirectory(msg))
    backbone.subscribe(subjects.snapshot(relayId), (msg) => {
      const snapshot: SnapshotMessage = [relayId, this.#seq, this.#host.info, this.#host.localEntries()]
      msg.respond(encodeValue(snapshot))
    })
    backbone.subscribe(subjects.ping(relayId), (msg) => msg.respond())
  }

  /**
   * One of this relay's nodes was listed or changed (entry) or left (null). The sequence number
   * moves even when NATS is down: the next heartbeat then shows the others a gap and they re-sync.
   */
  publishLocal(nodeId: string, entry: DirectoryEntry | null): void {
    this.#seq++
    const delta: DeltaMessage = [DirectoryKind.Delta, this.#host.relayId, this.#seq, nodeId, entry]
    this.#host.backbone.publish(this.#host.subjects.directory, encodeValue(delta))
  }

  /** Runs every HEARTBEAT_MS: says this relay is alive, forgets the silent, probes the busy. */
  beat(now: number): void {
    this.#heartbeat()
    // While NATS is down nobody is heard, so every relay times out: its nodes cannot be reached.
    for (const relay of [...this.relays.values()]) {
      const silent = now - relay.lastHeard
      if (silent > DEAD_AFTER_MS) this.drop(relay, `not heard for ${silent} ms`)
      else if (silent > PROBE_AFTER_MS && relay.busy && !relay.probing) this.#probe(relay)
    }
  }

  #heartbeat(): void {
    const { backbone, subjects, relayId, info } = this.#host
    backbone.publish(subjects.directory, encodeValue([DirectoryKind.Heartbeat, relayId, this.#seq, info]))
  }

  /** Tells the others this relay stops (they forget its nodes at once). */
  bye(): void {
    const { backbone, subjects, relayId } = this.#host
    backbone.publish(subjects.directory, encodeValue([DirectoryKind.Bye, relayId]))
  }

  /** Forgets a relay and everything listed through it. */
  drop(relay: RemoteRelay, why: string): void {
    if (this.relays.get(relay.id) !== relay) return
    this.relays.delete(relay.id)
    this.#host.logger.info(
      `[relay] cluster: relay "${relay.name}" left (${why}); ${relay.nodes.size} node(s) removed`,
      logEvent('relay_left', { peer_relay: relay.name, reason: why, nodes: relay.nodes.size }),
    )
    for (const node of relay.nodes.values()) this.#host.directory.removeRemote(node)
    this.#host.relayLost(relay)
    relay.nodes.clear()
  }

  /** The relay with this id, learned (and re-synced) on first sight. */
  relay(id: string): RemoteRelay {
    let relay = this.relays.get(id)
    if (!relay) {
      relay = new RemoteRelay(id, this.#host.sink)
      this.relays.set(id, relay)
      this.#resync(relay)
    }
    relay.lastHeard = Date.now()
    return relay
  }

  #onDirectory(msg: Msg): void {
    const message = decodeMessage<DirectoryMessage>(msg.data, 2)
    if (!message || typeof message[1] !== 'string' || message[1] === this.#host.relayId) return
    const [kind, id] = message
    if (kind === DirectoryKind.Bye) {
      const relay = this.relays.get(id)
      if (relay) this.drop(relay, 'stopped')
      return
    }
    const known = this.relays.has(id)
    const relay = this.relay(id)
    // A newcomer learns this relay now rather than at its next heartbeat (up to a second).
    if (!known) this.#heartbeat()
    if (kind === DirectoryKind.Heartbeat) {
      const [, , seq, info] = message
      if (typeof info?.name === 'string') relay.name = info.name
      // A heartbeat ahead of what was applied: deltas were missed.
      if (known && !relay.syncing && typeof seq === 'number' && seq > relay.seq) this.#resync(relay)
      return
    }
    if (kind !== DirectoryKind.Delta || typeof message[2] !== 'number' || typeof message[3] !== 'string')
      return
    if (relay.syncing) {
      relay.buffered.push(message)
      return
    }
    if (message[2] <= relay.seq) return
    if (message[2] === relay.seq + 1) this.#apply(relay, message)
    else {
      relay.buffered.push(message)
      this.#resync(relay)
    }
  }

  /** Asks a relay for its whole directory; deltas meanwhile are kept and applied after it. */
  #resync(relay: RemoteRelay): void {
    if (relay.syncing) return
    relay.syncing = true
    const { backbone, subjects } = this.#host
    backbone.request(subjects.snapshot(relay.id), new Uint8Array(0), SNAPSHOT_TIMEOUT_MS).then(
      (reply) => {
        relay.syncing = false
        const snapshot = decodeMessage<SnapshotMessage>(reply.data, 4)
        if (!snapshot || this.relays.get(relay.id) !== relay) return
        this.#applySnapshot(relay, snapshot)
      },
      (err: Error) => {
        relay.syncing = false
        relay.buffered = []
        // Nobody answers on its subject: the relay is gone. Otherwise its next heartbeat retries.
        if (isNoResponders(err)) this.drop(relay, 'gone')
        else
          this.#host.logger.debug(
            `[relay] cluster: snapshot of relay "${relay.name}" failed: ${err.message}`,
            logEvent('relay_snapshot_failed', { peer_relay: relay.name, reason: err.message }),
          )
      },
    )
  }

  #applySnapshot(relay: RemoteRelay, [, seq, info, entries]: SnapshotMessage): void {
    if (typeof info?.name === 'string') relay.name = info.name
    const seen = new Set<string>()
    if (Array.isArray(entries)) {
      for (const item of entries) {
        if (!Array.isArray(item) || typeof item[0] !== 'string' || !isEntry(item[1])) continue
        seen.add(item[0])
        this.#upsert(relay, item[0], item[1])
      }
    }
    for (const node of [...relay.nodes.values()]) if (!seen.has(node.nodeId)) this.#remove(relay, node.nodeId)
    relay.seq = typeof seq === 'number' ? seq : relay.seq
    const buffered = relay.buffered.sort((a, b) => a[2] - b[2])
    relay.buffered = []
    for (const delta of buffered) {
      if (delta[2] <= relay.seq) continue
      if (delta[2] !== relay.seq + 1) {
        this.#resync(relay)
        return
      }
      this.#apply(relay, delta)
    }
  }

  #apply(relay: RemoteRelay, [, , seq, nodeId, entry]: DeltaMessage): void {
    relay.seq = seq
    if (entry === null) this.#remove(relay, nodeId)
    else if (isEntry(entry)) this.#upsert(relay, nodeId, entry)
  }

  #upsert(relay: RemoteRelay, nodeId: string, entry: DirectoryEntry): void {
    const node = relay.nodes.get(nodeId)
    const meta = entry.meta && typeof entry.meta === 'object' ? entry.meta : {}
    if (!node) {
      const created = new RemoteNode(nodeId, relay, entry.services, meta, this.#host.sink)
      if (entry.catalog) created.catalog = entry.catalog
      relay.nodes.set(nodeId, created)
      this.#host.directory.upsertRemote(created)
      return
    }
    const previous = node.services
    const previousCatalog = node.catalog
    node.services = entry.services
    node.catalog = entry.catalog
    node.meta = meta
    this.#host.directory.upsertRemote(node, previous, previousCatalog)
  }

  #remove(relay: RemoteRelay, nodeId: string): void {
    const node = relay.nodes.get(nodeId)
    if (!node) return
    relay.nodes.delete(nodeId)
    // Calls in flight to it are answered by its relay (which saw it go), not ended here.
    this.#host.directory.removeRemote(node)
  }

  /** A request to a busy, silent relay: "no responders" means it is gone, now. */
  #probe(relay: RemoteRelay): void {
    relay.probing = true
    const { backbone, subjects } = this.#host
    backbone.request(subjects.ping(relay.id), new Uint8Array(0), 1000).then(
      () => {
        relay.probing = false
        relay.lastHeard = Date.now()
      },
      (err: Error) => {
        relay.probing = false
        if (isNoResponders(err)) this.drop(relay, 'gone')
      },
    )
  }
}
