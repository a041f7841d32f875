import { encodeFrame, FrameType } from '@spider-mesh/core'
import type { RelayPeer } from './relay-peer.js'

/** Pub/sub subscriptions: topic → subscribed connections. Each peer also knows its own topics. */
export class TopicTable {
  readonly #subscribers = new Map<string, Set<RelayPeer>>()
  #count = 0
  /** Told when a topic gets its first subscriber here, and when it loses its last one. */
  onInterest: ((topic: string, listening: boolean) => void) | undefined
  /** Told of every (connection, topic) subscription made and ended (presence follows them). */
  onMembership: ((peer: RelayPeer, topic: string, joined: boolean) => void) | undefined

  /** Number of (topic, connection) subscriptions. */
  get size(): number {
    return this.#count
  }

  subscribe(peer: RelayPeer, topic: string): void {
    if (peer.topics.has(topic)) return
    peer.topics.add(topic)
    const set = this.#subscribers.get(topic)
    this.#count++
    if (set) set.add(peer)
    else {
      this.#subscribers.set(topic, new Set([peer]))
      this.onInterest?.(topic, true)
    }
    this.onMembership?.(peer, topic, true)
  }

  unsubscribe(peer: RelayPeer, topic: string): void {
    if (!peer.topics.delete(topic)) return
    const set = this.#subscribers.get(topic)
    set?.delete(peer)
    this.#count--
    if (set?.size === 0) {
      this.#subscribers.delete(topic)
      this.onInterest?.(topic, false)
    }
    this.onMembership?.(peer, topic, false)
  }

  removePeer(peer: RelayPeer): void {
    for (const topic of [...peer.topics]) this.unsubscribe(peer, topic)
  }

  subscribers(topic: string): ReadonlySet<RelayPeer> | undefined {
    return this.#subscribers.get(topic)
  }

  /**
   * Sends a message to the subscribers of `topic` but `except` (its publisher), stamped with the
   * relay's `source` (whatever source a node wrote is ignored). Returns how many got it.
   */
  deliver(
    topic: string,
    payload: Uint8Array,
    source: string,
    except?: RelayPeer,
    skip?: (peer: RelayPeer) => boolean,
  ): number {
    const subscribers = this.#subscribers.get(topic)
    if (!subscribers) return 0
    let bytes: Uint8Array | undefined
    let count = 0
    for (const subscriber of subscribers) {
      if (subscriber === except || skip?.(subscriber)) continue
      bytes ??= encodeFrame([FrameType.Publish, topic, payload, source])
      subscriber.send(bytes)
      count++
    }
    return count
  }

  /** Forgets every subscription without telling anyone (the relay is closing). */
  clear(): void {
    this.#subscribers.clear()
    this.#count = 0
  }
}
