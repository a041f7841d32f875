/**
 * A Socket.IO server of the socketio-adapter scenario, on the adapter SYSTEM names: `mesh`
 * (`@spider-mesh/socket.io`, RELAY_URL), `redis` (`@socket.io/redis-adapter`, REDIS_URL) or
 * `cluster` (`@socket.io/cluster-adapter`: this process is the primary and forks WORKERS servers).
 * Every server prints `READY <port>`. Clients join room `r`; a client's `burst n` makes its server
 * broadcast n messages to `r`; its `ssea { warmupMs, durationMs }` times serverSideEmitWithAck
 * one at a time and acks the summary. Servers answer the server-side `ping` at once.
 */
import cluster from 'node:cluster'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { envNumber, envString, holdLifeline, say } from '../lifeline.js'
import { LatencyRecorder } from '../stats.js'

const system = envString('SYSTEM')
const PAYLOAD = 'x'.repeat(100)

if (system === 'cluster' && cluster.isPrimary) {
  const { setupPrimary } = await import('@socket.io/cluster-adapter')
  holdLifeline()
  setupPrimary()
  // Workers print their own READY lines (their stdout is this process's).
  for (let i = 0; i < envNumber('WORKERS', 3); i++) cluster.fork()
} else {
  // A worker's lifeline is the primary: it exits when the IPC channel to it closes.
  if (system === 'cluster') process.on('disconnect', () => process.exit(0))
  else holdLifeline()
  const io = new Server(createServer(), { transports: ['websocket'] })
  io.adapter(await adapterFor(system))
  io.on('connection', (socket) => {
    socket.join('r')
    socket.on('burst', (n: number, ack?: () => void) => {
      for (let i = 0; i < n; i++) io.to('r').emit('b', PAYLOAD)
      ack?.()
    })
    socket.on('ssea', async (opts: { warmupMs: number; durationMs: number }, ack: (r: unknown) => void) => {
      ack(await timeServerSideEmit(io, opts.warmupMs, opts.durationMs))
    })
  })
  io.on('ping', (ack: (answer: string) => void) => ack('pong'))
  const http = io.httpServer
  http.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () =>
    say('READY', (http.address() as AddressInfo).port),
  )
}

async function adapterFor(name: string) {
  if (name === 'mesh') {
    const [{ SpiderMesh }, { createAdapter }, { WebsocketTransporter }, { firstValueFrom, filter }] =
      await Promise.all([
        import('@spider-mesh/core'),
        import('@spider-mesh/socket.io'),
        import('@spider-mesh/ws/node'),
        import('rxjs'),
      ])
    const url = envString('RELAY_URL')
    const transporter = new WebsocketTransporter()
    const mesh = new SpiderMesh()
    mesh.registerTransporter(transporter)
    transporter.connect(url)
    await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(url) === 'connected')))
    return createAdapter(mesh)
  }
  if (name === 'redis') {
    const [{ createClient }, { createAdapter }] = await Promise.all([
      import('redis'),
      import('@socket.io/redis-adapter'),
    ])
    const pub = createClient({ url: envString('REDIS_URL') })
    const sub = pub.duplicate()
    await Promise.all([pub.connect(), sub.connect()])
    return createAdapter(pub, sub)
  }
  if (name === 'cluster') return (await import('@socket.io/cluster-adapter')).createAdapter()
  throw new Error(`SYSTEM=${name}: expected mesh, redis or cluster`)
}

/** serverSideEmitWithAck one at a time: warm-up, then every call's latency for `durationMs`. */
async function timeServerSideEmit(io: Server, warmupMs: number, durationMs: number) {
  const warmEnd = performance.now() + warmupMs
  while (performance.now() < warmEnd) await io.serverSideEmitWithAck('ping')
  const recorder = new LatencyRecorder(1_000_000)
  const start = performance.now()
  const end = start + durationMs
  let answers = 0
  while (performance.now() < end) {
    const t0 = performance.now()
    answers += (await io.serverSideEmitWithAck('ping')).length
    recorder.record((performance.now() - t0) * 1000)
  }
  const summary = recorder.summary()
  return { ...summary, answers, rps: Math.round(summary.count / ((performance.now() - start) / 1000)) }
}
