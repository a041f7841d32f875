/**
 * Publishes `{ seq, pad }` (~100 bytes) on `bench.fan`, never more than WINDOW messages ahead of
 * the slowest subscriber process's acknowledgement (`bench.ack`, see mesh-subscribers.ts), so the
 * relay's buffers stay bounded. PROCS is the number of subscriber processes. Prints `READY` once
 * connected; stdin `GO <end>` starts publishing until the wall-clock time `end`, then it prints
 * `RESULT {published}`.
 */
import { envNumber, envString, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

const procs = envNumber('PROCS')
const windowSize = envNumber('WINDOW', 500)
const maxMessages = envNumber('MAX_MESSAGES', 50_000_000)
const pad = 'x'.repeat(80)
let tEnd = 0

const mesh = await connectMesh(envString('RELAY_URL'), `bench-publisher-${process.pid}`)
const acked = new Float64Array(procs)
let seq = 0

const pump = () => {
  let min = Number.POSITIVE_INFINITY
  for (let i = 0; i < procs; i++) if (acked[i]! < min) min = acked[i]!
  while (seq - min < windowSize && seq < maxMessages && Date.now() < tEnd) {
    mesh.publish('bench.fan', { seq: ++seq, pad })
  }
}
mesh.listen<{ proc: number; seq: number }>('bench.ack').subscribe((ack) => {
  if (ack.seq > acked[ack.proc]!) acked[ack.proc] = ack.seq
  pump()
})
holdLifeline((command) => {
  const [verb, end] = command.split(' ')
  if (verb !== 'GO') return
  tEnd = Number(end)
  pump()
  setTimeout(
    () => {
      report({ published: seq })
      process.exit(0)
    },
    Math.max(0, tEnd - Date.now()) + 100,
  )
})
// The ack subscription rides the same socket ahead of any publish, so it is in place before an ack.
say('READY')
