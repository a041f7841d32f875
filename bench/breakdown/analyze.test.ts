import { describe, expect, test } from 'bun:test'
import {
  callStamps,
  gcSpans,
  hopFigures,
  LIMIT_CHAIN,
  measuredWindow,
  type ProbeLog,
  processCosts,
} from './analyze.js'
import { Ev } from './events.js'
import { areaShares } from './report.js'

/** A log from [kind, t ms, heap, timers, microtasks, ticks] rows. */
const log = (mode: ProbeLog['mode'], ...rows: number[][]): ProbeLog => ({
  mode,
  rows: rows.flatMap((r) => [r[0]!, r[1]!, r[2] ?? 0, r[3] ?? 0, r[4] ?? 0, r[5] ?? 0]),
})

// Two limit calls at t = 10 and t = 20 ms, each 1 ms per hop; a third whose relay never forwarded.
const caller = log(
  'time',
  [Ev.WindowStart, 5],
  [Ev.CallerOut, 10],
  [Ev.CallerIn, 17],
  [Ev.CallerOut, 20],
  [Ev.CallerIn, 27],
  [Ev.CallerOut, 30],
  [Ev.WindowEnd, 40],
  [Ev.CallerOut, 50],
)
const relay = log(
  'time',
  [Ev.RelayInFromCaller, 11],
  [Ev.RelayOutToProvider, 12],
  [Ev.RelayInFromProvider, 15],
  [Ev.RelayOutToCaller, 16],
  [Ev.RelayInFromCaller, 21],
  [Ev.RelayOutToProvider, 22],
  [Ev.RelayInFromProvider, 25],
  [Ev.RelayOutToCaller, 26],
  [Ev.RelayInFromCaller, 31],
)
const provider = log(
  'time',
  [Ev.ProviderIn, 13],
  [Ev.ProviderOut, 14],
  [Ev.ProviderIn, 23],
  [Ev.ProviderOut, 24],
)

describe('callStamps', () => {
  test('follows each call through the processes, leaving out broken chains and calls outside the window', () => {
    const { calls, skipped } = callStamps([caller, relay, provider], LIMIT_CHAIN)
    expect(calls).toEqual([
      [10, 11, 12, 13, 14, 15, 16, 17],
      [20, 21, 22, 23, 24, 25, 26, 27],
    ])
    expect(skipped).toBe(1)
  })

  test('never takes an event from the next call', () => {
    // The second call's relay events are missing: the first call must not borrow them.
    const { calls } = callStamps([caller, log('time', ...[]), provider], LIMIT_CHAIN)
    expect(calls).toEqual([])
  })
})

describe('hopFigures', () => {
  test('gives each hop in µs and the end-to-end total last', () => {
    const { calls } = callStamps([caller, relay, provider], LIMIT_CHAIN)
    const hops = hopFigures(calls, LIMIT_CHAIN)
    expect(hops.map((h) => h.hop)).toEqual([
      'wire: caller → relay',
      'relay: request in → out',
      'wire: relay → provider',
      'provider: socket in → send',
      'wire: provider → relay',
      'relay: response in → out',
      'wire: relay → caller',
      'total (end to end)',
    ])
    expect(hops[0]).toEqual({ hop: 'wire: caller → relay', p50_us: 1000, p99_us: 1000, tail_mean_us: 1000 })
    expect(hops.at(-1)!.p50_us).toBe(7000)
    expect(areaShares(hops)).toEqual({ caller: 0, relay: 2000, provider: 1000, wire: 4000 })
  })
})

describe('processCosts', () => {
  test('sums heap growth between events, counts drops as collections, and scheduling per call', () => {
    const heap = log(
      'heap',
      [Ev.RelayInFromCaller, 1, 1000, 0, 0, 0],
      [Ev.RelayOutToProvider, 2, 1400, 0, 1, 0],
      [Ev.RelayInFromProvider, 3, 600, 0, 1, 0],
      [Ev.RelayOutToCaller, 4, 1000, 1, 2, 0],
      [Ev.RelayInFromCaller, 99, 5000, 9, 9, 9],
    )
    const costs = processCosts(heap, { start: 0, end: 10, calls: 2 }, [
      Ev.RelayInFromCaller,
      Ev.RelayInFromProvider,
    ])
    expect(costs).toEqual({
      bytes_per_call: 400,
      gcs_per_1000_calls: 500,
      messages_in_per_call: 1,
      timers_per_call: 0.5,
      microtasks_per_call: 1,
      ticks_per_call: 0,
    })
  })

  test('reads the caller’s window and its calls from a heap-mode log', () => {
    const heapCaller = log(
      'heap',
      [Ev.CallerCall, 1],
      [Ev.WindowStart, 2],
      [Ev.CallerCall, 3],
      [Ev.CallerCall, 4],
      [Ev.WindowEnd, 5],
    )
    expect(measuredWindow(heapCaller, Ev.CallerCall)).toEqual({ start: 2, end: 5, calls: 2 })
  })
})

describe('gcSpans', () => {
  test('splits a process’s spans by whether its heap shrank inside them', () => {
    const heap = log(
      'heap',
      [Ev.ProviderIn, 1, 100],
      [Ev.ProviderOut, 1.002, 200],
      [Ev.ProviderIn, 2, 300],
      [Ev.ProviderMethod, 2.001, 50],
      [Ev.ProviderOut, 2.5, 80],
    )
    expect(gcSpans(heap, Ev.ProviderIn, Ev.ProviderOut)).toEqual({
      span: 'provider: socket in → send',
      with_gc: 1,
      with_gc_p50_us: 500,
      without_gc_p50_us: 2,
    })
  })
})
