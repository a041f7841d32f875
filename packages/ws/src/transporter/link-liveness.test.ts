import { describe, expect, test } from 'bun:test'
import { checkLiveness, type LivenessState, wasPaused } from './link-liveness.js'

const state = (overrides: Partial<LivenessState>): LivenessState => ({
  welcomed: true,
  helloSent: true,
  relayLeaving: false,
  openedAt: 0,
  lastSeen: 0,
  resumedAt: 0,
  heartbeatIntervalMs: 1000,
  ...overrides,
})

describe('the heartbeat deadline', () => {
  test('a relay silent for 2.5 intervals is given up with 4408', () => {
    expect(checkLiveness(state({ lastSeen: 1000 }), 4000)?.closeCode).toBe(4408)
    expect(checkLiveness(state({ lastSeen: 2000 }), 4000)).toBeUndefined()
  })

  test('after this process was paused, silence is judged only once it ran for an interval', () => {
    // SIGSTOP for 4 s: the tick at 5 s is late; the missed ticks may fire back to back after it.
    expect(wasPaused(1000, 5000, 1000)).toBe(true)
    expect(wasPaused(1000, 2100, 1000)).toBe(false)
    expect(checkLiveness(state({ lastSeen: 1000, resumedAt: 5000 }), 5000)).toBeUndefined()
    expect(checkLiveness(state({ lastSeen: 1000, resumedAt: 5000 }), 5010)).toBeUndefined()
    // An interval later the queued frames were read (lastSeen moved on) — or the relay is gone.
    expect(checkLiveness(state({ lastSeen: 1000, resumedAt: 5000 }), 6000)?.closeCode).toBe(4408)
  })
})
