/**
 * The topic history scenario's nodes, on RELAY_URL, topic `bench.history`.
 * - ROLE=fill: publishes COUNT messages `{ seq, pad }` (~100 bytes), then listens with
 *   `{ history: 1 }` until the last one comes back (the relay stored them all), prints `READY`.
 * - ROLE=replay: stdin `GO <start> <end>`: replays the whole history (`{ history: COUNT }`,
 *   COUNT values, then unsubscribes) again and again until `end`; replays finished after `start`
 *   count. Prints `RESULT {items, window_ms, replays, replay_us: [...]}`.
 */
import { filter, firstValueFrom, take, toArray } from 'rxjs'
import { envNumber, envString, fail, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

const TOPIC = 'bench.history'
const count = envNumber('COUNT')
const mesh = await connectMesh(envString('RELAY_URL'), `bench-history-${process.pid}`)

if (envString('ROLE') === 'fill') {
  const pad = 'x'.repeat(80)
  for (let seq = 1; seq <= count; seq++) mesh.publish(TOPIC, { seq, pad })
  await firstValueFrom(
    mesh.listen<{ seq: number }>(TOPIC, { history: 1 }).pipe(filter((m) => m.seq === count)),
  ).catch(fail)
  say('READY')
  holdLifeline()
} else {
  holdLifeline((command) => {
    const [verb, start, end] = command.split(' ')
    if (verb === 'GO') void replay(Number(start), Number(end)).catch(fail)
  })
  say('READY')
}

async function replay(start: number, end: number): Promise<void> {
  const times: number[] = []
  let items = 0
  let measuredFrom = 0
  while (Date.now() < end) {
    const t0 = performance.now()
    const values = await firstValueFrom(
      mesh.listen<{ seq: number }>(TOPIC, { history: count }).pipe(take(count), toArray()),
    )
    const us = Math.round((performance.now() - t0) * 1000)
    if (values[0]!.seq !== 1 || values[count - 1]!.seq !== count) {
      fail(new Error(`a replay gave ${values[0]!.seq}..${values[count - 1]!.seq}, not 1..${count}`))
    }
    if (Date.now() < start) continue
    if (measuredFrom === 0) measuredFrom = performance.now() - us / 1000
    times.push(us)
    items += count
  }
  const windowMs = performance.now() - measuredFrom
  report({ items, window_ms: Math.round(windowMs), replays: times.length, replay_us: times })
  process.exit(0)
}
