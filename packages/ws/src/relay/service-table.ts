import type { RelayPeer } from './relay-peer.js'

/** The providers of one service and whose turn is next. */
interface Rotation {
  providers: RelayPeer[]
  cursor: number
}

/**
 * Round-robin routing table: service name → providers. Picking a provider is O(1) per request;
 * only joins, leaves and service changes pay for array edits.
 */
export class ServiceTable {
  readonly #rotations = new Map<string, Rotation>()

  /** Number of services with at least one provider. */
  get size(): number {
    return this.#rotations.size
  }

  add(service: string, peer: RelayPeer): void {
    const rotation = this.#rotations.get(service)
    if (!rotation) this.#rotations.set(service, { providers: [peer], cursor: 0 })
    else if (!rotation.providers.includes(peer)) rotation.providers.push(peer)
  }

  remove(service: string, peer: RelayPeer): void {
    const rotation = this.#rotations.get(service)
    if (!rotation) return
    const index = rotation.providers.indexOf(peer)
    if (index === -1) return
    rotation.providers.splice(index, 1)
    if (rotation.providers.length === 0) this.#rotations.delete(service)
    // Keep the turn with the provider that was next, so a leave does not skip anyone.
    else if (index < rotation.cursor) rotation.cursor--
  }

  /** The next provider of `service` in turn, or undefined when nobody provides it. */
  next(service: string): RelayPeer | undefined {
    const rotation = this.#rotations.get(service)
    if (!rotation) return undefined
    if (rotation.cursor >= rotation.providers.length) rotation.cursor = 0
    return rotation.providers[rotation.cursor++]
  }
}
