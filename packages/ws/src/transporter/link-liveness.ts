/** What a relay connection's heartbeat looks at. */
export interface LivenessState {
  welcomed: boolean
  helloSent: boolean
  /** The relay said Goodbye: it closes the socket itself once its calls are done. */
  relayLeaving: boolean
  /** When the socket opened and when the last frame arrived (ms since epoch). */
  openedAt: number
  lastSeen: number
  heartbeatIntervalMs: number
}

/** Why to give up on a connection now, and how to close it. */
export interface LivenessVerdict {
  why: string
  closeCode: number
  closeReason: string
}

/**
 * The heartbeat's decision for one relay connection: give up on it (a dead peer may never
 * deliver a close event), or undefined to keep it and send a ping.
 */
export function checkLiveness(state: LivenessState, now: number): LivenessVerdict | undefined {
  // The relay answers pings even before Welcome, so liveness alone would not notice a Hello it
  // never accepted (malformed, or lost): give it a deadline of its own.
  const waitedForWelcome = now - state.openedAt
  if (
    !state.welcomed &&
    !state.relayLeaving &&
    state.helloSent &&
    waitedForWelcome > Math.max(5000, state.heartbeatIntervalMs)
  ) {
    return {
      why: `the relay did not welcome this node within ${waitedForWelcome} ms`,
      closeCode: 1000,
      closeReason: 'no Welcome',
    }
  }
  const silentFor = now - state.lastSeen
  if (silentFor > state.heartbeatIntervalMs * 2.5) {
    return {
      why: `no frame from the relay for ${silentFor} ms (heartbeat deadline)`,
      closeCode: 4408,
      closeReason: 'heartbeat timeout',
    }
  }
  return undefined
}
