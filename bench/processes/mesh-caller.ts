/**
 * Calls `BenchEcho` through the relay at RELAY_URL and prints `RESULT <json>`.
 * MODE=unary: `await proxy.echo(payload)` in INFLIGHT loops (see closed-loop.ts).
 * MODE=stream: one STREAM_ITEMS-item stream for the warm-up, then streams back to back for
 * DURATION_MS (at most MAX_STREAMS); reports items/s. Both print `MEASURING` as the measured
 * phase starts (the cluster scenario meters every process's CPU from there). WINDOW sets the
 * flow control window of streams (default: the link's, 128). BREAKDOWN=1
 * (unary only): records each call's start and end around the public API, and the socket's
 * events (breakdown/probe.ts), and writes them to BREAKDOWN_FILE before its RESULT.
 * MODE=hold: subscribes to one endless stream and prints `FLOWING` after 10,000 items, then
 * keeps reading (the bench stops this process with SIGSTOP to see what piles up).
 */
// First: the probes must wrap the WebSocket before @spider-mesh/ws/node captures it.
import '../breakdown/install.js'
import { RemoteServiceLinker } from '@spider-mesh/core'
import { Ev } from '../breakdown/events.js'
import { census, dumpProbe, PROBING, probe } from '../breakdown/probe.js'
import { loopOptionsFromEnv, PAYLOAD, runAwaitLoops, turnCommand } from '../closed-loop.js'
import { envNumber, envString, holdLifeline, report, say } from '../lifeline.js'
import { median } from '../stats.js'
import { connectMesh } from './mesh-connect.js'
import type { BenchEcho } from './mesh-provider.js'

// `GO` starts the census of a probed heap run, once the bench has counted the relay and provider.
let started = () => {}
const go = new Promise<void>((resolve) => {
  started = resolve
})
holdLifeline((command) => {
  if (command === 'GO') started()
  else turnCommand(command)
})
const mesh = await connectMesh(envString('RELAY_URL'), `bench-caller-${process.pid}`)
const window = process.env.WINDOW === undefined ? undefined : envNumber('WINDOW')
const proxy = RemoteServiceLinker.link<BenchEcho>(mesh, {
  service: 'BenchEcho',
  timeout: 30_000,
  ...(window === undefined ? {} : { window }),
})
await proxy.wait({ timeout: 10_000 })

if (envString('MODE', 'unary') === 'hold') {
  let received = 0
  proxy.numbers(1_000_000_000).subscribe({
    next: () => {
      if (++received === 10_000) say('FLOWING')
    },
  })
  await new Promise(() => {})
} else if (envString('MODE', 'unary') === 'unary') {
  const done = (value: string) => {
    probe(Ev.CallerDone)
    return value
  }
  const call = PROBING
    ? () => {
        probe(Ev.CallerCall)
        return proxy.echo(PAYLOAD).then(done)
      }
    : () => proxy.echo(PAYLOAD)
  const result = await runAwaitLoops(loopOptionsFromEnv(), call, () => {
    probe(Ev.WindowStart)
    say('MEASURING')
  })
  probe(Ev.WindowEnd)
  if (PROBING) dumpProbe(envString('BREAKDOWN_FILE'))
  if (PROBING && process.env.BREAKDOWN_MODE === 'heap') {
    // The census: the bench counts the relay's and provider's objects around these calls too.
    say('CENSUS_READY')
    await go
    census('start')
    const calls = envNumber('CENSUS_CALLS', 200)
    for (let i = 0; i < calls; i++) await proxy.echo(PAYLOAD)
    say('CENSUS', { calls, objects: census('end') })
  }
  report(result)
} else {
  const items = envNumber('STREAM_ITEMS', 100_000)
  const durationMs = envNumber('DURATION_MS')
  const maxStreams = envNumber('MAX_STREAMS', 50)
  const streamOnce = () =>
    new Promise<number>((resolve, reject) => {
      let received = 0
      const t0 = performance.now()
      proxy.stream(items).subscribe({
        next: () => received++,
        error: reject,
        complete: () =>
          received === items
            ? resolve(performance.now() - t0)
            : reject(new Error(`stream ended after ${received} of ${items} items`)),
      })
    })
  await streamOnce()
  say('MEASURING')
  const durations: number[] = []
  const t0 = performance.now()
  while (durations.length < maxStreams && (durations.length === 0 || performance.now() - t0 < durationMs)) {
    durations.push(await streamOnce())
  }
  const elapsed = performance.now() - t0
  report({
    streams: durations.length,
    items,
    elapsed_ms: Math.round(elapsed),
    items_per_s: Math.round((durations.length * items * 1000) / elapsed),
    median_stream_ms: Math.round(median(durations)),
  })
}
process.exit(0)
