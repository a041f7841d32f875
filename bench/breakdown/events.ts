/**
 * The events the `--breakdown` probes record, shared by the probes (in the bench's processes) and
 * the analysis (in the bench). One event is a row of {@link STRIDE} numbers in a Float64Array.
 */

/** What happened. Caller, relay and provider events are numbered apart so logs can be merged. */
export const Ev = {
  /** Caller: `proxy.echo()` (or the limit's send) is called. */
  CallerCall: 0,
  /** Caller: its socket's `send` (the request leaves the process). */
  CallerOut: 1,
  /** Caller: its socket's message event (the response arrives). */
  CallerIn: 2,
  /** Caller: the call's promise has resolved (the awaiting code runs). */
  CallerDone: 3,
  RelayInFromCaller: 4,
  RelayOutToProvider: 5,
  RelayInFromProvider: 6,
  RelayOutToCaller: 7,
  ProviderIn: 8,
  /** Provider: the service method is entered. */
  ProviderMethod: 9,
  ProviderOut: 10,
  /** Caller: the measured phase starts / ends (analysis keeps what lies between). */
  WindowStart: 11,
  WindowEnd: 12,
} as const

/** Fields of one event row. */
export const F = {
  kind: 0,
  /**
   * ms since {@link EPOCH_BASE_MS}: `performance.timeOrigin + performance.now()`, which allocates
   * nothing and agrees across processes (measured: ping-pong one-way minima of 8.3–8.8 µs both
   * ways). Not `process.hrtime`: under Bun it differs between processes by milliseconds.
   */
  t: 1,
  /** Heap mode: bytes in the JS heap (`heapSize()` of bun:jsc); 0 in time mode. */
  heap: 2,
  /** Timers (`setTimeout`, `setInterval`, `setImmediate`) scheduled so far in the process. */
  timers: 3,
  /** Microtasks explicitly queued so far (`queueMicrotask`; promise reactions are not counted). */
  microtasks: 4,
  /** `process.nextTick` callbacks queued so far. */
  ticks: 5,
} as const

/** Subtracted from epoch ms so a double keeps ~0.015 µs of resolution (instead of ~0.24). */
export const EPOCH_BASE_MS = 1_700_000_000_000

/** Numbers per event row. */
export const STRIDE = 6

/** What a probe records in: `time` stamps each event; `heap` reads the heap size at each event. */
export type ProbeMode = 'time' | 'heap'
