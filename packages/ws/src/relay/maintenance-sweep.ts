import { encodeFrame, FrameType } from '@spider-mesh/core'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayLogger } from './relay-logger.js'
import type { RelayPeer } from './relay-peer.js'

/** How long a node whose id another socket claims has to answer a ping before it is dropped. */
export const PROBE_TIMEOUT_MS = 2000
/** Silence longer than this many heartbeat intervals means the peer is gone. */
const HEARTBEAT_GRACE = 2.5

/** What the sweep needs from the relay. */
export interface MaintenanceSweepOptions {
  heartbeatIntervalMs: number
  helloTimeoutMs: number
  logger: RelayLogger
  /** Closes a connection and forgets it. */
  drop(peer: RelayPeer, code: number, reason: string): void
}

/**
 * The relay's periodic pass over its connections (every second, or every heartbeat if shorter):
 * drops the silent, the ones that ignored a liveness probe and the ones that never said Hello,
 * and pings the rest once per heartbeat interval. One timer for all connections: a timer per
 * socket costs more than a loop at this rate.
 */
export class MaintenanceSweep {
  readonly #options: MaintenanceSweepOptions
  #nextPingAt: number

  constructor(options: MaintenanceSweepOptions) {
    this.#options = options
    this.#nextPingAt = Date.now() + options.heartbeatIntervalMs
  }

  run(peers: Iterable<RelayPeer>, now: number): void {
    const { heartbeatIntervalMs, helloTimeoutMs, logger, drop } = this.#options
    const deadline = now - HEARTBEAT_GRACE * heartbeatIntervalMs
    const helloDeadline = now - helloTimeoutMs
    const pingDue = now >= this.#nextPingAt
    if (pingDue) this.#nextPingAt = now + heartbeatIntervalMs
    // Sub-millisecond precision: round trips on a LAN are well under 1 ms.
    const ping = pingDue
      ? encodeFrame([FrameType.Ping, performance.timeOrigin + performance.now()])
      : undefined
    // A copy: drop() removes from the set being walked.
    for (const peer of [...peers]) {
      if (peer.lastSeen < deadline) {
        logger.debug(`[relay] ${peer.label} timed out`, peer.about('heartbeat_timeout'))
        drop(peer, RelayCloseCode.HeartbeatTimeout, 'heartbeat timeout')
      } else if (peer.probeSentAt > 0 && now - peer.probeSentAt > PROBE_TIMEOUT_MS) {
        logger.debug(
          `[relay] ${peer.label} did not answer the liveness probe; freeing its node id`,
          peer.about('probe_timeout'),
        )
        drop(peer, RelayCloseCode.HeartbeatTimeout, 'no answer to the liveness probe')
      } else if (peer.nodeId === null && peer.connectedAt < helloDeadline) {
        logger.debug(
          `[relay] ${peer.label} sent no Hello within ${helloTimeoutMs} ms`,
          peer.about('hello_timeout'),
        )
        drop(peer, RelayCloseCode.HeartbeatTimeout, 'no Hello in time')
      } else if (ping) {
        peer.send(ping)
      }
    }
  }
}
