import { SpiderMesh, silentLogger } from '@spider-mesh/core'
import { filter, firstValueFrom, timeout } from 'rxjs'

// BENCH_TRANSPORT_ENTRY=browser (an experiment, Bun only): the same transporter from the browser
// entry, on the same global WebSocket, without the AsyncLocalStorage that `ws/node` installs for
// callContext(). Loaded dynamically: importing `ws/node` at all installs that storage.
const { WebsocketTransporter } =
  process.env.BENCH_TRANSPORT_ENTRY === 'browser'
    ? await import('@spider-mesh/ws/browser')
    : await import('@spider-mesh/ws/node')

/**
 * A mesh with its own WebsocketTransporter, connected (welcomed) to the relay at `url`. Rejects
 * after 15 s: a relay that never welcomes the node (e.g. it refused the Hello) must fail the run,
 * not hang it.
 */
export async function connectMesh(url: string, nodeId: string): Promise<SpiderMesh> {
  const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 30_000, reconnectIntervalMs: 200 })
  const mesh = new SpiderMesh({ nodeId, logger: silentLogger })
  mesh.registerTransporter(transporter)
  transporter.connect(url)
  await firstValueFrom(
    transporter.status$.pipe(
      filter((status) => status.get(url) === 'connected'),
      timeout({
        first: 15_000,
        with: () => Promise.reject(new Error(`not welcomed by the relay ${url} within 15 s`)),
      }),
    ),
  )
  return mesh
}
