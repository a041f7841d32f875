/** The caller: one traced checkout that calls Inventory.stock, then exits (RELAY_URL). */
import { RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { traceCalls } from './trace-context.js'
import { setUpTracing } from './tracing.js'

const tracer = setUpTracing('shop')
const transporter = new WebsocketTransporter()
transporter.connect(process.env.RELAY_URL ?? 'ws://127.0.0.1:8787')
const mesh = new SpiderMesh({ nodeId: 'shop-1' }).registerTransporter(transporter)
mesh.interceptCalls(traceCalls())

const inventory = RemoteServiceLinker.link<{ stock(sku: string): Promise<{ units: number }> }>(mesh, {
  service: 'Inventory',
  timeout: 5000,
})
await inventory.wait({ timeout: 10_000 })
// The call is made (awaited) inside the active checkout span: the interceptor sends its trace
// context along. A RemoteCall starts when it is awaited, so await it inside the span's scope.
const stock = await tracer.startActiveSpan('checkout', async (checkout) => {
  try {
    return await inventory.stock('sku-42')
  } finally {
    checkout.end()
  }
})
console.log('STOCK', stock.units)
await mesh.close({ drainTimeoutMs: 0 })
await transporter.close()
