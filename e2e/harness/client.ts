import { type LinkOptions, RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { track } from './cleanup.js'
import { firstMatching } from './deadline.js'

/** Options of {@link startClient}. */
export interface ClientOptions {
  nodeId?: string
  heartbeatIntervalMs?: number
  reconnectIntervalMs?: number
  unsubscribeDelayMs?: number
  /** Do not wait for `connected` (e.g. no relay is listening). */
  noWait?: boolean
}

/** A mesh node inside the test process, connected to one or more relays. */
export interface TestClient {
  mesh: SpiderMesh
  transporter: WebsocketTransporter
  /** A typed proxy on this client's mesh (timeout 5 s unless given). */
  link<T>(service: string, options?: Partial<LinkOptions>): ReturnType<typeof RemoteServiceLinker.link<T>>
  /** Resolves when the transporter reports `connected` for `url`. */
  connected(url: string, ms?: number): Promise<unknown>
  close(): Promise<void>
}

/** Creates a test-process mesh with a WebsocketTransporter connected to `urls`; released at teardown. */
export async function startClient(urls: string | string[], options: ClientOptions = {}): Promise<TestClient> {
  const transporter = new WebsocketTransporter({
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    reconnectIntervalMs: options.reconnectIntervalMs ?? 100,
    unsubscribeDelayMs: options.unsubscribeDelayMs ?? 50,
  })
  const mesh = new SpiderMesh(options.nodeId === undefined ? {} : { nodeId: options.nodeId })
  mesh.registerTransporter(transporter)
  let closed = false
  const client: TestClient = {
    mesh,
    transporter,
    link: <T>(service: string, linkOptions: Partial<LinkOptions> = {}) =>
      RemoteServiceLinker.link<T>(mesh, { service, timeout: 5000, ...linkOptions }),
    connected: (url, ms = 5000) =>
      firstMatching(
        transporter.status$,
        `${url} to be connected`,
        ms,
        (status) => status.get(url) === 'connected',
      ),
    async close() {
      if (closed) return
      closed = true
      await mesh.close()
      transporter.close()
    },
  }
  track(`client ${mesh.nodeId}`, () => client.close())
  for (const url of [urls].flat()) transporter.connect(url)
  if (!options.noWait) await Promise.all([urls].flat().map((url) => client.connected(url)))
  return client
}
