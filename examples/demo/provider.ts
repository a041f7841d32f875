/**
 * Demo provider: serves DemoService through the relay at RELAY_URL (default ws://127.0.0.1:8787).
 * Run by `npm start` (scripts/demo.ts); can also be run on its own next to `bun run relay`.
 */
import 'reflect-metadata'
import { Microservice, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { interval, map, take } from 'rxjs'

const url = process.env.RELAY_URL ?? 'ws://127.0.0.1:8787'
const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 5000 })
transporter.connect(url)
const mesh = new SpiderMesh({ nodeId: 'demo-provider' })
mesh.registerTransporter(transporter)

@Microservice()
class DemoService {
  /** Unary: a value. */
  async hello(name: string) {
    return `hello ${name}, from ${mesh.nodeId}`
  }

  /** Stream: one value every 100 ms, then completes. */
  countdown(from: number) {
    return interval(100).pipe(
      take(from + 1),
      map((i) => from - i),
    )
  }

  /** Pub/sub: publishes on the `chat` topic. */
  shout(text: string) {
    mesh.publish('chat', { from: mesh.nodeId, text: text.toUpperCase(), at: new Date() })
    return true
  }
}

new DemoService()

transporter.status$.subscribe((status) => {
  if (status.get(url) === 'connected') console.log(`provider ready: DemoService on ${url}`)
})

const stop = async () => {
  await mesh.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
