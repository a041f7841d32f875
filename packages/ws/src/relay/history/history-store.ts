import type { HostedCall } from '../hosted/hosted-service.js'
import type { ResolvedTopicPolicy } from './topic-policies.js'

/**
 * Where a listener left off: the store's identity (`epoch`) and the sequence of the last message
 * it got. Within one epoch sequences only grow, so "after seq" is exact.
 */
export interface HistoryResume {
  epoch: string
  seq: number
}

/**
 * Keeps the retained messages of topics and serves `$history.listen`. A listen stream sends
 * `[epoch]` first, then `[seq, payload]` per message: up to `n` retained ones (oldest first),
 * then live ones, with no gap and no duplicate at the switch.
 */
export interface HistoryStore {
  /** A node on this relay published on a topic with a policy. */
  published(policy: ResolvedTopicPolicy, topic: string, payload: Uint8Array, source: string): void
  /**
   * Serves one listen. With `resume` of this store's epoch, sends every retained message after
   * `resume.seq`; with a resume of another epoch (the store was replaced), every retained message
   * (none of them was seen); otherwise the last `n`.
   */
  listen(
    call: HostedCall,
    policy: ResolvedTopicPolicy,
    topic: string,
    n: number,
    resume: HistoryResume | undefined,
  ): void
  close(): void | Promise<void>
}
