import type { CallEndpoint, PendingRequest } from './call-endpoint.js'
import type { MethodStats } from './relay-metrics.js'

export type { PendingRequest } from './call-endpoint.js'

// Ids stay in msgpack's uint32 range (5 bytes at most) and wrap; a live id is never reused.
const MAX_ID = 0xffff_ffff

/**
 * Requests in flight, indexed three ways: by relay id (responses), by caller and caller id
 * (cancels) and by provider (provider loss). Each peer holds its own index, so every lookup and
 * every cleanup is proportional to that peer's calls only.
 */
export class PendingTable {
  readonly #byRelayId = new Map<number, PendingRequest>()
  #lastId = 0

  get size(): number {
    return this.#byRelayId.size
  }

  add(
    caller: CallEndpoint,
    callerId: number,
    provider: CallEndpoint,
    service: string,
    method: string,
    stats: MethodStats,
  ): PendingRequest {
    let relayId = this.#lastId
    do relayId = relayId >= MAX_ID ? 1 : relayId + 1
    while (this.#byRelayId.has(relayId))
    this.#lastId = relayId
    const request: PendingRequest = {
      relayId,
      caller,
      callerId,
      provider,
      service,
      method,
      stats,
      startedAt: performance.now(),
      lastActivity: caller.lastSeen,
      credit: -1,
    }
    stats.inFlight++
    this.#byRelayId.set(relayId, request)
    caller.outgoing.set(callerId, request)
    provider.incoming.add(request)
    return request
  }

  get(relayId: number): PendingRequest | undefined {
    return this.#byRelayId.get(relayId)
  }

  delete(request: PendingRequest): void {
    this.#byRelayId.delete(request.relayId)
    request.caller.outgoing.delete(request.callerId)
    request.provider.incoming.delete(request)
  }

  values(): IterableIterator<PendingRequest> {
    return this.#byRelayId.values()
  }

  clear(): void {
    for (const request of this.#byRelayId.values()) this.delete(request)
  }
}
