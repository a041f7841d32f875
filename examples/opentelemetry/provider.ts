/** The provider: serves Inventory, and traces every served call (RELAY_URL, default ws://127.0.0.1:8787). */
import { Microservice, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { traceServed } from './trace-context.js'
import { setUpTracing } from './tracing.js'

const tracer = setUpTracing('inventory')

@Microservice()
class Inventory {
  async stock(sku: string) {
    return { sku, units: 7 }
  }
}

const transporter = new WebsocketTransporter()
transporter.connect(process.env.RELAY_URL ?? 'ws://127.0.0.1:8787')
const mesh = new SpiderMesh({ nodeId: 'inventory-1' }).registerTransporter(transporter)
mesh.intercept(traceServed(tracer))
await mesh.provide(new Inventory())
console.log('READY inventory-1')
