import { encodeFrame, FrameType } from '@spider-mesh/core'
import { DeadlineWaiters } from '../deadline-waiters.js'
import type { RelayPeer } from './relay-peer.js'

/**
 * A graceful shutdown's first step: every node is told the relay is going away (Goodbye), so it
 * sends new calls to its other relays, while calls already in flight keep being routed. The drain
 * is over when every node acknowledged the Goodbye and no call is pending.
 */
export class RelayDrain {
  readonly #waiters = new DeadlineWaiters()
  #draining = false

  /** Goodbye was sent: calls in flight may finish, new connections are turned away. */
  get draining(): boolean {
    return this.#draining
  }

  /** Sends Goodbye to every connection (once) and waits, at most `timeoutMs`, for the drain. */
  begin(peers: Iterable<RelayPeer>, timeoutMs: number, pendingCalls: () => number): Promise<void> {
    if (!this.#draining) {
      this.#draining = true
      const goodbye = encodeFrame([FrameType.Goodbye, 'relay shutting down'])
      for (const peer of peers) peer.send(goodbye)
    }
    const drained = this.#waiters.wait(timeoutMs)
    this.check(peers, pendingCalls())
    return drained
  }

  /** Releases the waiters once nothing is left to wait for. */
  check(peers: Iterable<RelayPeer>, pendingCalls: number): void {
    if (!this.#draining || !this.#waiters.waiting || pendingCalls > 0) return
    for (const peer of peers) if (peer.nodeId !== null && !peer.drainAcked) return
    this.#waiters.release()
  }

  /** Stops waiting (the relay closes now). */
  release(): void {
    this.#waiters.release()
  }
}
