/**
 * Opens COUNT bare WebSockets to RELAY_URL (with `?role=ROLE`), CONCURRENCY connection attempts at
 * a time. With HELLO=1 each sends a valid Hello frame and counts as connected once the relay's
 * Welcome arrives; otherwise once open. Prints `READY <connected> <failed>` and then holds the
 * sockets open, idle, until the bench ends it.
 */
import { encodeFrame, FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import { envNumber, envString, holdLifeline, say } from '../lifeline.js'

holdLifeline()
const url = `${envString('RELAY_URL')}/?role=${envString('ROLE', 'client')}`
const count = envNumber('COUNT')
const concurrency = envNumber('CONCURRENCY', 100)
const hello = envString('HELLO', '1') === '1'
const prefix = `bench-idle-${process.pid}`
const sockets: WebSocket[] = []

/** Opens one socket; resolves true when it is connected, false when it failed or took over 30 s. */
function open(index: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url)
    socket.binaryType = 'arraybuffer'
    sockets.push(socket)
    const timer = setTimeout(() => resolve(false), 30_000)
    const done = (ok: boolean) => {
      clearTimeout(timer)
      resolve(ok)
    }
    socket.onopen = () => {
      if (!hello) return done(true)
      socket.send(encodeFrame([FrameType.Hello, PROTOCOL_VERSION, `${prefix}-${index}`, [], []]))
    }
    socket.onmessage = () => {
      socket.onmessage = null
      done(true)
    }
    socket.onerror = () => done(false)
    socket.onclose = () => done(false)
  })
}

let next = 0
let connected = 0
let failed = 0
await Promise.all(
  Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      if (await open(next++)) connected++
      else failed++
    }
  }),
)
say('READY', connected, failed)
