import { ErrorCode, encodeValue, type PresenceMember } from '@spider-mesh/core'
import type { HostedCall, HostedContext, HostedService } from '../hosted/hosted-service.js'
import { RelayPeer } from '../relay-peer.js'
import { KvPresence } from './kv-presence.js'
import { LocalPresence } from './local-presence.js'

/** Largest presence state, as JSON: lists are sent whole on every change. */
export const MAX_STATE_BYTES = 16 * 1024
/** Longest TTL a timer can hold (setTimeout's limit, about 24.8 days). */
const MAX_TTL_MS = 2 ** 31 - 1

/** The watch calls of one topic on this relay, and the last list they were sent. */
interface TopicWatch {
  calls: Set<HostedCall>
  /** The last list sent, as JSON: a change that changes nothing (a refresh) is not sent. */
  last: string | undefined
  scheduled: boolean
}

/**
 * `$presence`: who is on a topic. `watch(topic)` streams the full member list (sorted by node id)
 * at once and after every join, leave and state change, coalesced per microtask;
 * `set(topic, state, ttlMs?)` sets the caller's state there (null clears it). Members are the
 * nodes listening to the topic plus those holding state on it; a closing connection leaves every
 * topic at once. In a cluster, the other relays' members come from a shared NATS KV bucket.
 */
export class PresenceService implements HostedService {
  readonly name = '$presence'
  readonly #context: HostedContext
  readonly #maxNameLength: number
  readonly #local: LocalPresence
  readonly #watches = new Map<string, TopicWatch>()
  /** The cluster store, made at first use; null on a relay without a cluster. */
  #shared: KvPresence | null | undefined

  constructor(context: HostedContext, { maxNameLength }: { maxNameLength: number }) {
    this.#context = context
    this.#maxNameLength = maxNameLength
    this.#local = new LocalPresence(
      (topic, nodeId, member) => {
        this.#store()?.put(topic, nodeId, member)
        this.#changed(topic)
      },
      () => context.relayName(),
    )
  }

  serve(call: HostedCall): void {
    if (call.method === 'hold') {
      // A quiet stream: the node's re-subscription after a reconnect tells it to set its states again.
      call.next(true)
      return
    }
    const topic = call.args[0]
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > this.#maxNameLength) {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        `$presence.${call.method}: the topic must be a non-empty string of at most ${this.#maxNameLength} characters`,
      )
      return
    }
    const access = call.caller.access
    if (access && !access.presence.allows(topic)) {
      call.fail(ErrorCode.ACCESS_DENIED, `Not allowed to see or set presence on topic "${topic}"`)
      return
    }
    if (call.method === 'watch') this.#watch(call, topic)
    else if (call.method === 'set') this.#set(call, topic)
    else {
      call.fail(
        ErrorCode.MICROSERVICE_NOT_FOUND,
        `$presence has no method "${call.method}" (it has watch, set and hold)`,
      )
    }
  }

  topicJoined(peer: RelayPeer, topic: string): void {
    this.#local.joined(peer, topic)
  }

  topicLeft(peer: RelayPeer, topic: string): void {
    this.#local.left(peer, topic)
  }

  peerClosed(peer: RelayPeer): void {
    this.#local.closed(peer)
  }

  close(): void {
    this.#local.clear()
    this.#watches.clear()
    this.#shared?.close()
  }

  #set(call: HostedCall, topic: string): void {
    const [, raw, ttlMs] = call.args
    if (!(call.caller instanceof RelayPeer)) {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        '$presence.set: only a node connected to this relay can set presence',
      )
      return
    }
    if (
      ttlMs !== undefined &&
      ttlMs !== null &&
      (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS)
    ) {
      call.fail(
        ErrorCode.INVALID_ARGUMENTS,
        `$presence.set: ttlMs must be a positive integer of at most ${MAX_TTL_MS} (got ${String(ttlMs)})`,
      )
      return
    }
    let state: unknown = null
    if (raw !== null && raw !== undefined) {
      // Lists go to watchers and the cluster's bucket as JSON: the state is kept as JSON sees it.
      const json = JSON.stringify(raw)
      if (json === undefined || json.length > MAX_STATE_BYTES) {
        call.fail(
          ErrorCode.INVALID_ARGUMENTS,
          `$presence.set: the state must be a JSON value of at most ${MAX_STATE_BYTES} characters`,
        )
        return
      }
      state = JSON.parse(json)
    }
    const refused = this.#local.set(call.caller, topic, state, (ttlMs ?? undefined) as number | undefined)
    if (refused) call.fail(ErrorCode.INVALID_ARGUMENTS, `$presence.set: ${refused}`)
    else call.reply(null)
  }

  #watch(call: HostedCall, topic: string): void {
    let watch = this.#watches.get(topic)
    if (!watch) {
      watch = { calls: new Set(), last: undefined, scheduled: false }
      this.#watches.set(topic, watch)
      this.#store()?.follow(topic)
    }
    const { calls } = watch
    calls.add(call)
    call.whenEnded(() => {
      calls.delete(call)
      if (calls.size > 0 || this.#watches.get(topic) !== watch) return
      this.#watches.delete(topic)
      this.#shared?.unfollow(topic)
    })
    // A new watcher gets the current list now (later ones only when it changes).
    const list = this.#list(topic)
    if (list) call.next(list)
  }

  /** Lists change in bursts (a node leaving many topics, a bucket load): one list per microtask. */
  #changed(topic: string): void {
    const watch = this.#watches.get(topic)
    if (!watch || watch.scheduled) return
    watch.scheduled = true
    queueMicrotask(() => {
      watch.scheduled = false
      if (this.#watches.get(topic) !== watch) return
      const list = this.#list(topic)
      if (!list) return
      const json = JSON.stringify(list)
      if (json === watch.last) return
      watch.last = json
      // One encoding of the list for all of the topic's watchers here.
      const bytes = encodeValue(list)
      for (const call of watch.calls) call.nextEncoded(bytes)
    })
  }

  /**
   * The members of a topic: this relay's, and in a cluster the other relays' (undefined until
   * those are loaded). A node on several relays is listed once: here if it is here, else with
   * state if some relay has it.
   */
  #list(topic: string): PresenceMember[] | undefined {
    const members = new Map<string, PresenceMember>()
    for (const member of this.#local.members(topic)) members.set(member.nodeId, member)
    if (this.#shared) {
      const remote = this.#shared.remote(topic)
      if (!remote) return undefined
      const local = new Set(members.keys())
      for (const { member } of remote) {
        if (local.has(member.nodeId)) continue
        const known = members.get(member.nodeId)
        if (!known || (known.state === undefined && member.state !== undefined))
          members.set(member.nodeId, member)
      }
    }
    return [...members.values()].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0))
  }

  #store(): KvPresence | null {
    if (this.#shared === undefined) {
      const cluster = this.#context.cluster
      this.#shared = cluster
        ? new KvPresence(cluster, this.#context.logger, (topic) => this.#changed(topic))
        : null
    }
    return this.#shared
  }
}
