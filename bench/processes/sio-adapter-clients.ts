/**
 * The clients of the socketio-adapter scenario: CLIENTS sockets on each server of PORTS, all in
 * room `r`. MODE=broadcast: the first client asks its server for bursts of WINDOW broadcasts to
 * `r` and waits until every client received each burst whole (closed loop), counting
 * broadcasts/s. MODE=ssea: its server times serverSideEmitWithAck. Prints MEASURING, then RESULT.
 */
import { io, type Socket } from 'socket.io-client'
import { envNumber, envString, fail, holdLifeline, report, say } from '../lifeline.js'

holdLifeline()
const ports = envString('PORTS').split(',')
const perServer = envNumber('CLIENTS', 10)
const warmupMs = envNumber('WARMUP_MS')
const durationMs = envNumber('DURATION_MS')
const window = envNumber('WINDOW', 50)

const sockets: Socket[] = []
const counts: number[] = []
let target = 0
let behind = 0
let caughtUp = () => {}
for (const port of ports) {
  for (let i = 0; i < perServer; i++) {
    const index = sockets.length
    const socket = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    })
    counts.push(0)
    socket.on('b', () => {
      if (++counts[index]! === target && --behind === 0) caughtUp()
    })
    sockets.push(socket)
  }
}
await Promise.all(
  sockets.map(
    (s) =>
      new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve())
        s.once('connect_error', reject)
      }),
  ),
).catch(fail)
const driver = sockets[0]!

/** One burst: the driver's server broadcasts WINDOW messages; resolves when every client has them. */
function burst(): Promise<void> {
  target += window
  behind = sockets.length
  return new Promise<void>((resolve) => {
    caughtUp = resolve
    driver.emit('burst', window)
  })
}

if (envString('MODE') === 'ssea') {
  say('MEASURING')
  const result = await driver
    .timeout(warmupMs + durationMs + 20_000)
    .emitWithAck('ssea', { warmupMs, durationMs })
  report(result)
} else {
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) await burst()
  say('MEASURING')
  const start = performance.now()
  let bursts = 0
  while (performance.now() - start < durationMs) {
    await burst()
    bursts++
  }
  const seconds = (performance.now() - start) / 1000
  const broadcasts = bursts * window
  report({
    broadcasts,
    broadcasts_per_s: Math.round(broadcasts / seconds),
    deliveries_per_s: Math.round((broadcasts * sockets.length) / seconds),
    clients: sockets.length,
  })
}
for (const s of sockets) s.disconnect()
process.exit(0)
