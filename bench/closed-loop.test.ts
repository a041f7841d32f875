import { describe, expect, test } from 'bun:test'
import {
  CallbackLoops,
  type LoopOptions,
  loopOptionsFromEnv,
  runAwaitLoops,
  turnCommand,
} from './closed-loop.js'

const base: LoopOptions = {
  inflight: 2,
  warmupMs: 5,
  warmupCalls: 0,
  warmupMaxMs: 5,
  durationMs: 20,
  turns: 1,
  maxCalls: 100_000,
}

/** A call that answers on the next macrotask, counting the calls made before measuring began. */
function counter() {
  let calls = 0
  let beforeMeasuring = -1
  return {
    call: () => {
      calls++
      return new Promise<void>((resolve) => setImmediate(resolve))
    },
    measuring: () => {
      beforeMeasuring = calls
    },
    get beforeMeasuring() {
      return beforeMeasuring
    },
    get total() {
      return calls
    },
  }
}

describe('closed-loop warm-up', () => {
  test('an awaiting loop warms up for warmupCalls calls even past warmupMs', async () => {
    const c = counter()
    const t0 = performance.now()
    await runAwaitLoops({ ...base, warmupCalls: 50_000, warmupMaxMs: 10_000 }, c.call, c.measuring)
    expect(c.beforeMeasuring).toBeGreaterThanOrEqual(50_000)
    // Ended at the count, far before the cap.
    expect(performance.now() - t0).toBeLessThan(9000)
  })

  test('warmupMaxMs bounds a warm-up that cannot reach its count', async () => {
    const c = counter()
    const t0 = performance.now()
    await runAwaitLoops({ ...base, warmupCalls: 1e9, warmupMaxMs: 60 }, c.call, c.measuring)
    const warm = c.beforeMeasuring
    expect(warm).toBeGreaterThan(0)
    expect(warm).toBeLessThan(1e9)
    expect(performance.now() - t0).toBeLessThan(2000)
  })

  test('without warmupCalls the warm-up is time only', async () => {
    const c = counter()
    await runAwaitLoops(base, c.call, c.measuring)
    // 5 ms of setImmediate round trips on two loops (~1 µs each): far fewer than the count above.
    expect(c.beforeMeasuring).toBeGreaterThan(0)
    expect(c.beforeMeasuring).toBeLessThan(50_000)
  })

  test('callback loops follow the same rule', async () => {
    let calls = 0
    let beforeMeasuring = -1
    const loops: CallbackLoops = new CallbackLoops(
      { ...base, warmupCalls: 50_000, warmupMaxMs: 10_000 },
      (slot) => {
        calls++
        setImmediate(() => loops.complete(slot))
      },
    )
    const result = await loops.run(() => {
      beforeMeasuring = calls
    })
    expect(beforeMeasuring).toBeGreaterThanOrEqual(50_000)
    expect(result.count).toBeGreaterThan(0)
  })

  test('the environment sets the count and the cap, which defaults to the warm-up time', () => {
    expect(loopOptionsFromEnv({ WARMUP_MS: '1000' })).toMatchObject({ warmupCalls: 0, warmupMaxMs: 1000 })
    expect(loopOptionsFromEnv({ WARMUP_CALLS: '25000', WARMUP_MAX_MS: '10000' })).toMatchObject({
      warmupCalls: 25_000,
      warmupMaxMs: 10_000,
    })
  })
})

describe('closed-loop turns', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

  test('the measured phase runs in slices, each only after a TURN, and reports the slices’ time', async () => {
    const lines: string[] = []
    const log = console.log
    console.log = (line: string) => lines.push(line)
    try {
      const c = counter()
      let measuring = false
      const run = runAwaitLoops({ ...base, durationMs: 30, turns: 3 }, c.call, () => {
        measuring = true
        c.measuring()
      })
      while (!measuring) await sleep(1)
      const atStart = c.beforeMeasuring
      await sleep(40)
      // No turn yet: nothing measured runs.
      expect(lines).toEqual([])
      for (let turn = 1; turn <= 3; turn++) {
        expect(turnCommand('TURN')).toBe(true)
        while (lines.length < turn) await sleep(1)
        expect(lines).toEqual(Array(turn).fill('TURN_DONE'))
      }
      const result = await run
      expect(result.count).toBeGreaterThan(0)
      // Each turn starts with unmeasured calls (the re-warm): more calls ran than were recorded.
      expect(c.total - atStart).toBeGreaterThan(result.count * 2)
      // Three slices of 10 ms, not the 40 ms waited before the first turn nor the re-warms.
      expect(result.elapsed_ms).toBeLessThan(35)
      expect(atStart).toBeGreaterThan(0)
    } finally {
      console.log = log
    }
  })

  test('other lines are not turns', () => {
    expect(turnCommand('GO')).toBe(false)
  })

  test('the environment sets the turns; one by default', () => {
    expect(loopOptionsFromEnv({}).turns).toBe(1)
    expect(loopOptionsFromEnv({ TURNS: '6' }).turns).toBe(6)
  })
})
