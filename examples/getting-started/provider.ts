// Terminal 2: a provider. Any class marked @Microservice() is callable through the relay.
import { Microservice, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { interval, map, take } from 'rxjs'

const relayUrl = process.env.RELAY_URL ?? 'ws://127.0.0.1:8787'

const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 5000 })
transporter.connect(relayUrl)

const mesh = new SpiderMesh()
mesh.registerTransporter(transporter)

@Microservice()
class GreetingService {
  async hello(name: string) {
    return `hello ${name}`
  }

  // Return an Observable to stream values; the caller can stop it at any time.
  countdown(from: number) {
    return interval(200).pipe(
      take(from + 1),
      map((i) => from - i),
    )
  }
}

// Constructing the instance serves it on this process's mesh.
new GreetingService()
console.log(`GreetingService is served by ${mesh.nodeId} through ${relayUrl}`)

process.on('SIGINT', async () => {
  await mesh.close()
  process.exit(0)
})
