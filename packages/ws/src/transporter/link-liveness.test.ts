import { describe, expect, test } from 'bun:test'
import { checkLiveness, LinkClock, type LivenessState, wasPaused } from './link-liveness.js'

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

describe('LinkClock', () => {
  const live = { welcomed: true, helloSent: true, relayLeaving: false }

  test('judges silence from the last frame, and a late tick as a pause', () => {
    const clock = new LinkClock(1000)
    clock.start(10_000, () => {})
    clock.stop()
    expect(clock.check(11_000, live)).toBeUndefined()
    clock.lastSeen = 11_500
    expect(clock.check(12_000, live)).toBeUndefined()
    expect(clock.check(13_000, live)).toBeUndefined()
    expect(clock.check(14_100, live)?.closeCode).toBe(4408)
    // A tick 4 s after the last one: paused, so the silence before it is not held against the relay.
    const paused = new LinkClock(1000)
    paused.start(10_000, () => {})
    paused.stop()
    expect(paused.check(15_000, live)).toBeUndefined()
    expect(paused.check(16_100, live)?.closeCode).toBe(4408)
  })

  test('a Hello never welcomed is given up after 5 s from the open', () => {
    const clock = new LinkClock(1000)
    clock.start(0, () => {})
    clock.stop()
    clock.lastSeen = 5_500
    expect(clock.check(5_600, { ...live, welcomed: false })?.closeReason).toBe('no Welcome')
  })

  test('start runs the tick every interval until stop', async () => {
    const clock = new LinkClock(5)
    let ticks = 0
    clock.start(Date.now(), () => ticks++)
    await new Promise((resolve) => setTimeout(resolve, 40))
    clock.stop()
    const seen = ticks
    expect(seen).toBeGreaterThan(2)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(ticks).toBe(seen)
  })
})
