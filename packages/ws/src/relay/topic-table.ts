import type { RelayPeer } from './relay-peer.js'

/** Pub/sub subscriptions: topic → subscribed connections. Each peer also knows its own topics. */
export class TopicTable {
  readonly #subscribers = new Map<string, Set<RelayPeer>>()
  #count = 0

  /** Number of (topic, connection) subscriptions. */
  get size(): number {
    return this.#count
  }

  subscribe(peer: RelayPeer, topic: string): void {
    if (peer.topics.has(topic)) return
    peer.topics.add(topic)
    const set = this.#subscribers.get(topic)
    if (set) set.add(peer)
    else this.#subscribers.set(topic, new Set([peer]))
    this.#count++
  }

  unsubscribe(peer: RelayPeer, topic: string): void {
    if (!peer.topics.delete(topic)) return
    const set = this.#subscribers.get(topic)
    set?.delete(peer)
    if (set?.size === 0) this.#subscribers.delete(topic)
    this.#count--
  }

  removePeer(peer: RelayPeer): void {
    for (const topic of [...peer.topics]) this.unsubscribe(peer, topic)
  }

  subscribers(topic: string): ReadonlySet<RelayPeer> | undefined {
    return this.#subscribers.get(topic)
  }

  clear(): void {
    this.#subscribers.clear()
    this.#count = 0
  }
}
