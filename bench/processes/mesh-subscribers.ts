/**
 * SUBSCRIBERS meshes in this process, each with its own WebsocketTransporter, listening to the
 * `bench.fan` topic. Prints `READY` once all are connected and subscribed. The stdin command
 * `WINDOW <start> <end>` (wall-clock ms since epoch, the same for every process) makes it count
 * deliveries between those times and print `RESULT {deliveries, window_ms}` after the end.
 *
 * Flow control: every ACK_EVERY_MS it publishes `{ proc, seq }` on `bench.ack`, seq being the
 * lowest sequence number all its meshes have received, so the publisher keeps a bounded window.
 */
import { envNumber, envString, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

const ACK_EVERY_MS = 2

let measure: ((start: number, end: number) => void) | null = null
holdLifeline((command) => {
  const [verb, start, end] = command.split(' ')
  if (verb === 'WINDOW') measure?.(Number(start), Number(end))
})
const url = envString('RELAY_URL')
const count = envNumber('SUBSCRIBERS')
const proc = envNumber('PROC_INDEX')

const meshes = await Promise.all(
  Array.from({ length: count }, (_, i) => connectMesh(url, `bench-sub-${proc}-${i}-${process.pid}`)),
)
const lastSeq = new Float64Array(count)
let deliveries = 0
meshes.forEach((mesh, i) => {
  mesh.listen<{ seq: number }>('bench.fan').subscribe((message) => {
    lastSeq[i] = message.seq
    deliveries++
  })
})
// The Subscribe frame goes out with the listen; one round trip through the relay proves it arrived.
await new Promise<void>((resolve) => {
  const probe = meshes[0]!.listen<number>('bench.ready-probe').subscribe(() => {
    probe.unsubscribe()
    resolve()
  })
  const timer = setInterval(() => meshes[1 % count]!.publish('bench.ready-probe', 1), 20)
  timer.unref()
  probe.add(() => clearInterval(timer))
})
say('READY')

let acked = 0
const acker = setInterval(() => {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < count; i++) if (lastSeq[i]! < min) min = lastSeq[i]!
  if (min > acked) {
    acked = min
    meshes[0]!.publish('bench.ack', { proc, seq: min })
  }
}, ACK_EVERY_MS)

measure = (tStart, tEnd) => {
  let atStart = 0
  let startedAt = 0
  setTimeout(
    () => {
      atStart = deliveries
      startedAt = Date.now()
    },
    Math.max(0, tStart - Date.now()),
  )
  setTimeout(
    () => {
      clearInterval(acker)
      report({ deliveries: deliveries - atStart, window_ms: Date.now() - startedAt })
      process.exit(0)
    },
    Math.max(0, tEnd - Date.now()),
  )
}
