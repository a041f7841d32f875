import type { PresenceMember } from '@spider-mesh/core'
import type { RelayPeer } from '../relay-peer.js'

/** One node of this relay in one topic's presence: listening, holding state, or both. */
interface LocalEntry {
  peer: RelayPeer
  listening: boolean
  /** The state set with `$presence.set`; `undefined` when none. */
  state: unknown
  timer: ReturnType<typeof setTimeout> | undefined
}

/** Topics a node may hold state on without listening to them (each entry is kept and shared). */
export const MAX_STATE_TOPICS = 1000

/**
 * The presence of this relay's own nodes, per topic. A node is a member of a topic while it
 * listens there or holds state there; its connection closing removes it everywhere at once.
 * `changed` is told of every member that appeared, changed or left (null), so the service can
 * tell watchers and, in a cluster, the shared bucket.
 */
export class LocalPresence {
  readonly #topics = new Map<string, Map<string, LocalEntry>>()
  /** Topics each connection has an entry in, so a closing connection is removed in O(its topics). */
  readonly #byPeer = new Map<RelayPeer, Set<string>>()
  readonly #changed: (topic: string, nodeId: string, member: PresenceMember | null) => void
  readonly #relayName: () => string
  /** Each connection's principal made JSON-safe once, not per list. */
  readonly #principals = new WeakMap<RelayPeer, { value: unknown }>()

  constructor(
    changed: (topic: string, nodeId: string, member: PresenceMember | null) => void,
    relayName: () => string,
  ) {
    this.#changed = changed
    this.#relayName = relayName
  }

  joined(peer: RelayPeer, topic: string): void {
    const entry = this.#entry(peer, topic)
    if (!entry || entry.listening) return
    entry.listening = true
    this.#report(topic, entry)
  }

  left(peer: RelayPeer, topic: string): void {
    const entry = this.#find(peer, topic)
    if (!entry?.listening) return
    entry.listening = false
    this.#settle(topic, entry)
  }

  /**
   * Sets (or with null clears) a node's state on a topic, for `ttlMs` when given. Returns an
   * error message when the node holds state on too many topics it does not listen to.
   */
  set(peer: RelayPeer, topic: string, state: unknown, ttlMs: number | undefined): string | undefined {
    if (state === null || state === undefined) {
      const entry = this.#find(peer, topic)
      if (!entry || entry.state === undefined) return undefined
      this.#clearState(entry)
      this.#settle(topic, entry)
      return undefined
    }
    const held = this.#byPeer.get(peer)
    if (!this.#find(peer, topic) && held && held.size >= MAX_STATE_TOPICS) {
      return `a node may hold presence state on at most ${MAX_STATE_TOPICS} topics at once`
    }
    const entry = this.#entry(peer, topic)
    if (!entry) return undefined
    if (entry.timer) clearTimeout(entry.timer)
    entry.state = state
    entry.timer =
      ttlMs === undefined
        ? undefined
        : setTimeout(() => {
            entry.timer = undefined
            entry.state = undefined
            this.#settle(topic, entry)
          }, ttlMs)
    ;(entry.timer as { unref?: () => void } | undefined)?.unref?.()
    this.#report(topic, entry)
    return undefined
  }

  /** A connection closed: it leaves every topic (its state with it). */
  closed(peer: RelayPeer): void {
    const topics = this.#byPeer.get(peer)
    if (!topics) return
    for (const topic of [...topics]) {
      const entry = this.#find(peer, topic)
      if (!entry) continue
      entry.listening = false
      this.#clearState(entry)
      this.#settle(topic, entry)
    }
    this.#byPeer.delete(peer)
  }

  /** The members of a topic on this relay, unsorted. */
  members(topic: string): PresenceMember[] {
    const entries = this.#topics.get(topic)
    return entries ? [...entries.values()].map((entry) => this.#member(entry)) : []
  }

  /** Every member of this relay, by topic (the cluster store refreshes them). */
  *all(): Iterable<[string, PresenceMember]> {
    for (const [topic, entries] of this.#topics) {
      for (const entry of entries.values()) yield [topic, this.#member(entry)]
    }
  }

  /** Stops every TTL timer (the relay is closing). */
  clear(): void {
    for (const entries of this.#topics.values()) for (const entry of entries.values()) this.#clearState(entry)
    this.#topics.clear()
    this.#byPeer.clear()
  }

  #find(peer: RelayPeer, topic: string): LocalEntry | undefined {
    const entry = peer.nodeId === null ? undefined : this.#topics.get(topic)?.get(peer.nodeId)
    // An older connection of the same node id (replaced by a reconnect) no longer speaks for it.
    return entry?.peer === peer ? entry : undefined
  }

  /** The entry of a node on a topic, made when missing; a newer connection takes over the node id. */
  #entry(peer: RelayPeer, topic: string): LocalEntry | undefined {
    const nodeId = peer.nodeId
    if (nodeId === null || peer.closed) return undefined
    let entries = this.#topics.get(topic)
    if (!entries) {
      entries = new Map()
      this.#topics.set(topic, entries)
    }
    let entry = entries.get(nodeId)
    if (entry?.peer !== peer) {
      if (entry) {
        this.#clearState(entry)
        this.#byPeer.get(entry.peer)?.delete(topic)
      }
      entry = { peer, listening: false, state: undefined, timer: undefined }
      entries.set(nodeId, entry)
      let topics = this.#byPeer.get(peer)
      if (!topics) {
        topics = new Set()
        this.#byPeer.set(peer, topics)
      }
      topics.add(topic)
    }
    return entry
  }

  #clearState(entry: LocalEntry): void {
    if (entry.timer) clearTimeout(entry.timer)
    entry.timer = undefined
    entry.state = undefined
  }

  /** An entry that neither listens nor holds state is gone; otherwise it changed. */
  #settle(topic: string, entry: LocalEntry): void {
    if (entry.listening || entry.state !== undefined) {
      this.#report(topic, entry)
      return
    }
    const nodeId = entry.peer.nodeId!
    const entries = this.#topics.get(topic)
    if (entries?.get(nodeId) !== entry) return
    entries.delete(nodeId)
    if (entries.size === 0) this.#topics.delete(topic)
    this.#byPeer.get(entry.peer)?.delete(topic)
    this.#changed(topic, nodeId, null)
  }

  #report(topic: string, entry: LocalEntry): void {
    this.#changed(topic, entry.peer.nodeId!, this.#member(entry))
  }

  #member({ peer, state }: LocalEntry): PresenceMember {
    const member: PresenceMember = { nodeId: peer.nodeId!, meta: peer.meta, relay: this.#relayName() }
    let cached = this.#principals.get(peer)
    if (!cached) {
      cached = { value: jsonSafe(peer.principal) }
      this.#principals.set(peer, cached)
    }
    const principal = cached.value
    if (principal !== undefined) member.principal = principal
    if (state !== undefined) member.state = state
    return member
  }
}

/**
 * The principal as watchers may see it: plain JSON data as is, anything else (a class instance,
 * binary, a cycle) as its String(), so a list always encodes and survives the JSON bucket.
 */
export function jsonSafe(value: unknown): unknown {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value)
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      try {
        return JSON.parse(JSON.stringify(value))
      } catch {
        return String(value)
      }
    }
  }
  return String(value)
}
