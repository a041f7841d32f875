import type { Observable, Subscription } from 'rxjs'
import type { SpiderMesh } from '../mesh/spider-mesh.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import type { PresenceMember } from './presence-member.js'
import { relayCall, retryWhileReconnecting } from './relay-call.js'

/** Options of `mesh.setPresence`. */
export interface SetPresenceOptions {
  /** The state disappears after this many ms (a positive integer); without it, it stays until cleared or the node leaves. */
  ttlMs?: number
}

/** Longest TTL the relay's timer can hold. */
const MAX_TTL_MS = 2 ** 31 - 1

/**
 * A node's side of the relay's `$presence`: watching a topic's members, and setting this node's
 * state on topics. The relay forgets a node's state when its connection closes, so after a
 * reconnect the last state of each topic (whose TTL has not passed) is set again.
 */
export class PresenceClient {
  readonly #mesh: SpiderMesh
  /** The last state set per topic, with when its TTL ends. */
  readonly #states = new Map<string, { state: unknown; expiresAt: number | undefined }>()
  /** While states are held: a quiet stream whose re-subscription (after a reconnect) re-applies them. */
  #hold: Subscription | undefined

  constructor(mesh: SpiderMesh) {
    this.#mesh = mesh
  }

  /** The members of a topic: the whole list at once and after every change, re-synced after reconnects. */
  watch(topic: string): Observable<PresenceMember[]> {
    return relayCall<PresenceMember[]>(this.#mesh, '$presence', 'watch', [topic], { stream: true }).pipe(
      retryWhileReconnecting(),
    )
  }

  /** Sets (null: clears) this node's state on a topic. Throws INVALID_OPTION for a bad `ttlMs`. */
  set(topic: string, state: unknown, options: SetPresenceOptions = {}): Promise<void> {
    const { ttlMs } = options
    if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TTL_MS)) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `setPresence() ttlMs must be a positive integer of at most ${MAX_TTL_MS} ms, got ${JSON.stringify(ttlMs)}`,
      )
    }
    if (state === null || state === undefined) this.#states.delete(topic)
    else this.#states.set(topic, { state, expiresAt: ttlMs === undefined ? undefined : Date.now() + ttlMs })
    const sent = this.#send(topic, state ?? null, ttlMs)
    this.#holdWhileNeeded()
    return sent
  }

  #send(topic: string, state: unknown, ttlMs: number | undefined): Promise<void> {
    const args = ttlMs === undefined ? [topic, state] : [topic, state, ttlMs]
    return relayCall<null>(this.#mesh, '$presence', 'set', args).then(() => undefined)
  }

  #holdWhileNeeded(): void {
    if (this.#states.size === 0) {
      this.#hold?.unsubscribe()
      this.#hold = undefined
      return
    }
    if (this.#hold) return
    // Each value comes from a new connection (the first one too: a set sent while no relay was
    // connected failed, and is made good here). Setting a state again changes nothing.
    this.#hold = relayCall(this.#mesh, '$presence', 'hold', [], { stream: true })
      .pipe(retryWhileReconnecting())
      .subscribe({
        next: () => this.#reapply(),
        error: () => {
          this.#hold = undefined
        },
      })
  }

  #reapply(): void {
    const now = Date.now()
    for (const [topic, { state, expiresAt }] of this.#states) {
      if (expiresAt !== undefined && expiresAt <= now) {
        this.#states.delete(topic)
        continue
      }
      this.#send(topic, state, expiresAt === undefined ? undefined : expiresAt - now).catch(() => {})
    }
    this.#holdWhileNeeded()
  }
}
