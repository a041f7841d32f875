import { encodeValue } from '@spider-mesh/core'
import type { HostedCall } from '../hosted/hosted-service.js'
import type { HistoryResume, HistoryStore } from './history-store.js'
import type { ResolvedTopicPolicy } from './topic-policies.js'

/** One retained message. */
interface Entry {
  seq: number
  at: number
  payload: Uint8Array
}

/**
 * The retained messages of one topic, oldest first, and the calls listening to it live. An array
 * with a moving head (compacted now and then) rather than a preallocated ring: a policy may
 * retain 100000 messages for topics that only ever get a few.
 */
class TopicLog {
  #entries: Entry[] = []
  /** Index of the oldest retained entry. */
  #head = 0
  #seq = 0
  readonly listeners = new Set<HostedCall>()

  constructor(readonly policy: ResolvedTopicPolicy) {}

  get empty(): boolean {
    return this.#head === this.#entries.length
  }

  append(payload: Uint8Array, now: number): Entry {
    const entry: Entry = { seq: ++this.#seq, at: now, payload }
    this.#entries.push(entry)
    // Full: the oldest makes room (discard old, like the JetStream stream).
    if (this.#entries.length - this.#head > this.policy.retain) this.#head++
    this.#compact()
    return entry
  }

  /** Drops entries older than the policy's ttlMs (the oldest: entries are in time order). */
  expire(now: number): void {
    const ttl = this.policy.ttlMs
    if (ttl === undefined) return
    const entries = this.#entries
    while (this.#head < entries.length && now - entries[this.#head]!.at >= ttl) this.#head++
    this.#compact()
  }

  /** The retained entries, oldest first: the last `n`, or all after `afterSeq`. */
  entries(n: number, afterSeq: number): Entry[] {
    const from = Math.max(this.#head, this.#entries.length - n)
    return this.#entries.slice(from).filter((entry) => entry.seq > afterSeq)
  }

  /** Drops the dead prefix once it is both large and most of the array (amortised O(1)). */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head)
      this.#head = 0
    } else if (this.empty && this.#head > 0) {
      this.#entries = []
      this.#head = 0
    }
  }
}

/**
 * The history of a single relay: the last `retain` messages per topic, fed by the publications
 * of this relay's nodes. A listener gets the retained messages and is added to the live set in
 * the same tick, and a publication is appended and pushed to the live set in one tick too, so no
 * message falls between the replay and the live part, and none is sent twice. Lost on restart
 * (a new epoch tells listeners that resume).
 */
export class MemoryHistory implements HistoryStore {
  readonly epoch = `memory-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
  readonly #topics = new Map<string, TopicLog>()
  readonly #sweep: ReturnType<typeof setInterval>

  constructor(sweepMs = 60_000) {
    // Topics whose messages all expired and that nobody listens to would otherwise stay forever.
    this.#sweep = setInterval(() => this.#dropIdle(), sweepMs)
    ;(this.#sweep as { unref?: () => void }).unref?.()
  }

  /** Topics held now (for tests and stats). */
  get topics(): number {
    return this.#topics.size
  }

  published(policy: ResolvedTopicPolicy, topic: string, payload: Uint8Array): void {
    const now = Date.now()
    const log = this.#log(policy, topic)
    log.expire(now)
    const { seq } = log.append(payload, now)
    if (log.listeners.size === 0) return
    // One encoding for all of the topic's listeners.
    const bytes = encodeValue([seq, payload])
    for (const call of log.listeners) call.nextEncoded(bytes)
  }

  listen(
    call: HostedCall,
    policy: ResolvedTopicPolicy,
    topic: string,
    n: number,
    resume: HistoryResume | undefined,
  ): void {
    const log = this.#log(policy, topic)
    log.expire(Date.now())
    call.next([this.epoch])
    const replay =
      resume === undefined
        ? log.entries(n, 0)
        : log.entries(policy.retain, resume.epoch === this.epoch ? resume.seq : 0)
    for (const entry of replay) call.next([entry.seq, entry.payload])
    if (call.ended) return
    log.listeners.add(call)
    call.whenEnded(() => {
      log.listeners.delete(call)
    })
  }

  close(): void {
    clearInterval(this.#sweep)
    for (const log of this.#topics.values()) {
      for (const call of log.listeners) call.complete()
    }
    this.#topics.clear()
  }

  #log(policy: ResolvedTopicPolicy, topic: string): TopicLog {
    let log = this.#topics.get(topic)
    if (!log || log.policy !== policy) {
      log = new TopicLog(policy)
      this.#topics.set(topic, log)
    }
    return log
  }

  #dropIdle(): void {
    const now = Date.now()
    for (const [topic, log] of this.#topics) {
      log.expire(now)
      if (log.empty && log.listeners.size === 0) this.#topics.delete(topic)
    }
  }
}
