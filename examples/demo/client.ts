/**
 * Demo client: calls DemoService through the relay (unary, stream, pub/sub), prints the results
 * and exits. RELAY_URL defaults to ws://127.0.0.1:8787.
 */
import { RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { firstValueFrom, lastValueFrom, type Observable, tap, toArray } from 'rxjs'

type DemoService = {
  hello(name: string): Promise<string>
  countdown(from: number): Observable<number>
  shout(text: string): Promise<boolean>
}

const url = process.env.RELAY_URL ?? 'ws://127.0.0.1:8787'
const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 5000 })
transporter.connect(url)
const mesh = new SpiderMesh({ nodeId: 'demo-client' })
mesh.registerTransporter(transporter)

const demo = RemoteServiceLinker.link<DemoService>(mesh, { service: 'DemoService', timeout: 5000 })

try {
  await demo.wait({ timeout: 10_000 })
  console.log(`providers of DemoService: ${demo.nodes.map((n) => n.node_id).join(', ')}`)

  console.log(`unary   hello('world') -> ${await demo.hello('world')}`)

  const items = await lastValueFrom(
    demo.countdown(5).pipe(
      tap((n) => console.log(`stream  countdown(5) -> ${n}`)),
      toArray(),
    ),
  )
  console.log(`stream  completed with ${items.length} items`)

  const message = firstValueFrom(mesh.listen<{ from: string; text: string; at: Date }>('chat'))
  await demo.shout('pub/sub works')
  const received = await message
  console.log(`pub/sub chat <- ${received.text} (from ${received.from}, at ${received.at.toISOString()})`)
  console.log('demo finished')
} catch (err) {
  const e = err as { code?: string; message: string }
  console.error(`demo failed: ${e.code ?? 'ERROR'} ${e.message}`)
  process.exitCode = 1
} finally {
  await mesh.close()
}
