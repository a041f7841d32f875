/**
 * Why `@spider-mesh/socket.io` sends a response on the requester's own topic and not as a call
 * pinned to the requester's node: times both ways of answering a published request, in one run.
 *
 *   npx bun bench/socketio-response-path.ts [--ms 3000] [--rounds 3]
 *
 * A relay process, and two meshes in this process (each with its own WebsocketTransporter, so
 * everything crosses the relay): the requester publishes a request on a topic the responder
 * listens to, the responder answers — `topic`: publishes on the requester's topic (what the
 * adapter does: one frame each way); `pinned-call`: calls a service on the requester's node
 * (`node_id`), which also sends a response frame back to the responder. One request at a time;
 * the systems alternate per round.
 */
import { parseArgs } from 'node:util'
import { Microservice, RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { filter, firstValueFrom } from 'rxjs'
import { withChildren } from './child.js'
import { startMeshRelay } from './scenarios/relays.js'
import { LatencyRecorder } from './stats.js'

const { values } = parseArgs({
  options: { ms: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } },
})
const ms = Number(values.ms)

let answered: (value: number) => void = () => {}

@Microservice({ name: 'SocketIoResponses' })
class SocketIoResponses {
  answer(value: number): void {
    answered(value)
  }
}

async function node(url: string, nodeId: string): Promise<SpiderMesh> {
  const transporter = new WebsocketTransporter()
  const mesh = new SpiderMesh({ nodeId })
  mesh.registerTransporter(transporter)
  transporter.connect(url)
  await firstValueFrom(transporter.status$.pipe(filter((s) => s.get(url) === 'connected')))
  return mesh
}

await withChildren(async (spawn) => {
  const relay = await startMeshRelay(spawn, 'bun')
  const requester = await node(relay.url, 'requester')
  const responder = await node(relay.url, 'responder')
  await requester.provide(new SocketIoResponses())
  const back = RemoteServiceLinker.link<SocketIoResponses>(responder, {
    service: 'SocketIoResponses',
    node_id: 'requester',
  })
  await back.wait({ timeout: 5000 })
  let mode: 'topic' | 'pinned-call' = 'topic'
  responder.listen<number>('request').subscribe((value) => {
    if (mode === 'topic') responder.publish('response#requester', value)
    // A RemoteCall is cold: then() starts it.
    else back.answer(value).then(undefined, (err: Error) => console.error(err.message))
  })
  requester.listen<number>('response#requester').subscribe((value) => answered(value))
  // Both subscriptions reach the relay before the first request: wait until one round trip works.
  for (let tries = 0; ; tries++) {
    const got = new Promise<number>((resolve) => {
      answered = resolve
    })
    requester.publish('request', -1)
    const ok = await Promise.race([got.then(() => true), Bun.sleep(200).then(() => false)])
    if (ok) break
    if (tries > 25) throw new Error('no answer through the relay within 5 s')
  }

  const round = async (which: typeof mode) => {
    mode = which
    const recorder = new LatencyRecorder(1_000_000)
    const end = performance.now() + ms
    for (let i = 0; performance.now() < end; i++) {
      const t0 = performance.now()
      const got = new Promise<number>((resolve) => {
        answered = resolve
      })
      requester.publish('request', i)
      await got
      recorder.record((performance.now() - t0) * 1000)
    }
    return recorder.summary()
  }
  await round('topic')
  await round('pinned-call')
  for (let r = 1; r <= Number(values.rounds); r++) {
    for (const which of ['topic', 'pinned-call'] as const) {
      const s = await round(which)
      console.log(
        `round ${r} ${which.padEnd(11)} ${Math.round(s.count / (ms / 1000))} answers/s  p50 ${s.p50_us} µs  p99 ${s.p99_us} µs`,
      )
    }
  }
  await requester.close({ drainTimeoutMs: 0 })
  await responder.close({ drainTimeoutMs: 0 })
})
process.exit(0)
