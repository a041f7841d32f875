import { type KV, Kvm, type KvWatchEntry } from '@nats-io/kv'
import type { QueuedIterator } from '@nats-io/transport-node'
import type { PresenceMember } from '@spider-mesh/core'
import type { HostedCluster } from '../hosted/hosted-service.js'
import type { RelayLogger } from '../relay-logger.js'
import { presenceBucket, presenceKey, relayFilter, topicFilter } from './presence-keys.js'

/** How often a relay re-writes its own entries; the bucket forgets entries after 3 of these. */
export const REFRESH_MS = 5000
/**
 * Entries re-written per tick (every second): at least this many, and at least a third of this
 * relay's entries, so each is re-written within a few seconds of being due, well before max_age.
 */
const REFRESH_BUDGET = 2000
/** A topic with no entry yet gives no "last initial entry": its first list waits at most this. */
const EMPTY_LOAD_MS = 100

/** What the bucket holds per (topic, node, relay). */
interface StoredMember {
  member: PresenceMember
  relayId: string
}

/** The entries of one topic watched on this relay, written by the other relays. */
interface FollowedTopic {
  remote: Map<string, StoredMember & { seen: number }>
  ready: boolean
  watch: QueuedIterator<KvWatchEntry> | undefined
  stopped: boolean
}

/**
 * Presence shared by the relays of a cluster, in a NATS KV bucket: one key per (topic, node,
 * relay), written and deleted by the node's relay only. A relay watching a topic watches its keys
 * (one KV watch per topic, shared by that topic's watchers here) and merges them with its own
 * nodes. No ghosts: every relay re-writes its entries every {@link REFRESH_MS}, the bucket's
 * `max_age` drops what a dead relay left (KV watchers are not told of that, so entries not
 * re-written in time are dropped here too), and a relay the cluster reports lost has its entries
 * removed by the others at once. Nothing survives a restart: a restarted relay has a new id.
 */
export class KvPresence {
  readonly #cluster: HostedCluster
  readonly #logger: RelayLogger
  readonly #changed: (topic: string) => void
  #kv: Promise<KV> | undefined
  /** This relay's entries, oldest write first (re-inserted on every write). */
  readonly #own = new Map<string, { bytes: Uint8Array; at: number }>()
  readonly #followed = new Map<string, FollowedTopic>()
  readonly #timer: ReturnType<typeof setInterval>
  readonly #stopLost: () => void
  #closed = false
  /** Whether the current streak of bucket failures was reported. */
  #warned = false

  constructor(cluster: HostedCluster, logger: RelayLogger, changed: (topic: string) => void) {
    this.#cluster = cluster
    this.#logger = logger
    this.#changed = changed
    this.#timer = setInterval(() => this.#tick(Date.now()), 1000)
    ;(this.#timer as { unref?: () => void }).unref?.()
    this.#stopLost = cluster.onRelayLost((relayId) => this.#relayLost(relayId))
  }

  /** Writes (or with null deletes) the entry of one node of this relay. */
  put(topic: string, nodeId: string, member: PresenceMember | null): void {
    if (this.#closed) return
    const key = presenceKey(topic, nodeId, this.#cluster.relayId)
    this.#own.delete(key)
    if (member === null) {
      void this.#write((kv) => kv.delete(key), 'delete')
      return
    }
    const stored: StoredMember = { member, relayId: this.#cluster.relayId }
    const bytes = new TextEncoder().encode(JSON.stringify(stored))
    this.#own.set(key, { bytes, at: Date.now() })
    void this.#write((kv) => kv.put(key, bytes), 'write')
  }

  /** Starts following a topic's entries from the other relays (its first watcher here). */
  follow(topic: string): void {
    if (this.#followed.has(topic) || this.#closed) return
    const followed: FollowedTopic = { remote: new Map(), ready: false, watch: undefined, stopped: false }
    this.#followed.set(topic, followed)
    void this.#watch(topic, followed)
  }

  /** Its last watcher here left. */
  unfollow(topic: string): void {
    const followed = this.#followed.get(topic)
    if (!followed) return
    this.#followed.delete(topic)
    followed.stopped = true
    followed.watch?.stop()
  }

  /** The other relays' members of a followed topic; undefined until its entries were loaded. */
  remote(topic: string): Iterable<StoredMember> | undefined {
    const followed = this.#followed.get(topic)
    return followed?.ready ? followed.remote.values() : undefined
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#timer)
    this.#stopLost()
    for (const topic of [...this.#followed.keys()]) this.unfollow(topic)
  }

  #bucket(): Promise<KV> {
    this.#kv ??= (async () => {
      const nc = await this.#cluster.connection()
      const kvm = new Kvm(nc)
      const name = presenceBucket(this.#cluster.prefix)
      try {
        return await kvm.create(name, { history: 1, ttl: 3 * REFRESH_MS })
      } catch {
        // Made by another relay with other settings (an older release): use it as it is.
        return await kvm.open(name)
      }
    })()
    this.#kv.catch(() => {
      this.#kv = undefined
    })
    return this.#kv
  }

  async #write(op: (kv: KV) => Promise<unknown>, what: string): Promise<void> {
    try {
      await op(await this.#bucket())
    } catch (err) {
      // The periodic refresh writes it again; a delete lost is covered by max_age.
      this.#logger.debug(`[relay] presence: a bucket ${what} failed`, err)
    }
  }

  /**
   * Follows a topic's keys while it has watchers here. A watch that fails (no JetStream, NATS
   * down) or ends is made again with backoff; meanwhile lists show this relay's nodes and what was
   * loaded before (entries deleted during the gap are dropped by the sweep, not being re-written).
   */
  async #watch(topic: string, followed: FollowedTopic): Promise<void> {
    for (let failures = 0; ; failures++) {
      let emptyTimer: ReturnType<typeof setTimeout> | undefined
      const loaded = () => {
        clearTimeout(emptyTimer)
        failures = 0
        this.#warned = false
        if (followed.ready) return
        followed.ready = true
        this.#changed(topic)
      }
      try {
        const kv = await this.#bucket()
        if (followed.stopped) return
        const watch = await kv.watch({ key: topicFilter(topic) })
        followed.watch = watch
        if (followed.stopped) {
          watch.stop()
          return
        }
        emptyTimer = setTimeout(loaded, EMPTY_LOAD_MS)
        for await (const entry of watch) {
          this.#entry(topic, followed, entry)
          // `delta` is what the server still has to send: 0 ends the initial load.
          if (entry.delta === 0) loaded()
        }
      } catch (err) {
        this.#failed(`watching topic "${topic}" in the bucket`, err)
      } finally {
        clearTimeout(emptyTimer)
      }
      if (followed.stopped || this.#closed) return
      if (!followed.ready) {
        followed.ready = true
        this.#changed(topic)
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** failures, 30_000)))
      if (followed.stopped || this.#closed) return
    }
  }

  /** The first failure of a streak is a warning (with the likely cause), the next ones debug lines. */
  #failed(what: string, err: unknown): void {
    const message = `[relay] presence: ${what} failed (presence across relays needs JetStream: nats-server -js); this relay's own nodes are still listed`
    if (this.#warned) {
      this.#logger.debug(message, err)
      return
    }
    this.#warned = true
    this.#logger.warn(message, (err as Error)?.message ?? err)
  }

  #entry(topic: string, followed: FollowedTopic, entry: KvWatchEntry): void {
    if (entry.operation !== 'PUT') {
      if (followed.remote.delete(entry.key) && followed.ready) this.#changed(topic)
      return
    }
    let stored: StoredMember
    try {
      stored = entry.json<StoredMember>()
    } catch {
      return
    }
    if (stored.relayId === this.#cluster.relayId || typeof stored.member?.nodeId !== 'string') return
    // Entries of the initial load count from when they were written, so a dead relay's leftovers
    // are dropped by the sweep as soon as the bucket would drop them.
    const seen = followed.ready ? Date.now() : Math.min(Date.now(), entry.created.getTime())
    followed.remote.set(entry.key, { ...stored, seen })
    if (followed.ready) this.#changed(topic)
  }

  /** Re-writes this relay's oldest entries (bounded per tick) and drops remote entries not re-written. */
  #tick(now: number): void {
    if (this.#cluster.connected) {
      let budget = Math.max(REFRESH_BUDGET, Math.ceil(this.#own.size / 3))
      for (const [key, own] of this.#own) {
        if (now - own.at < REFRESH_MS || budget-- === 0) break
        this.#own.delete(key)
        own.at = now
        this.#own.set(key, own)
        void this.#write((kv) => kv.put(key, own.bytes), 'refresh')
      }
    }
    for (const [topic, followed] of this.#followed) {
      let dropped = false
      for (const [key, stored] of followed.remote) {
        if (now - stored.seen > 3 * REFRESH_MS) dropped = followed.remote.delete(key) || dropped
      }
      if (dropped) this.#changed(topic)
    }
  }

  /** A relay left the cluster: its members go now, here and in the bucket. */
  #relayLost(relayId: string): void {
    for (const [topic, followed] of this.#followed) {
      let dropped = false
      for (const [key, stored] of followed.remote) {
        if (stored.relayId === relayId) dropped = followed.remote.delete(key) || dropped
      }
      if (dropped) this.#changed(topic)
    }
    void this.#write(async (kv) => {
      const keys: string[] = []
      for await (const key of await kv.keys(relayFilter(relayId))) keys.push(key)
      await Promise.all(keys.map((key) => kv.delete(key)))
    }, 'cleanup of a lost relay')
  }
}
