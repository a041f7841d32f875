// Terminal 3: a client. It calls GreetingService through the relay with a typed proxy.
import { RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import type { Observable } from 'rxjs'

const relayUrl = process.env.RELAY_URL ?? 'ws://127.0.0.1:8787'

const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 5000 })
transporter.connect(relayUrl)

const mesh = new SpiderMesh()
mesh.registerTransporter(transporter)

// The client only needs the service's shape, not its code.
type GreetingService = {
  hello(name: string): Promise<string>
  countdown(from: number): Observable<number>
}

const greeter = RemoteServiceLinker.link<GreetingService>(mesh, {
  service: 'GreetingService',
  timeout: 5000,
})

await greeter.wait()
console.log(await greeter.hello('world'))

// Every call is also an Observable: subscribe to receive a stream.
await new Promise<void>((resolve, reject) => {
  greeter.countdown(3).subscribe({
    next: (n) => console.log(`countdown ${n}`),
    error: reject,
    complete: resolve,
  })
})

await mesh.close()
await transporter.close()
