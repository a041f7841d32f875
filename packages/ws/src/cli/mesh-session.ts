import { consoleLogger, type Logger, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '../node.js'
import { CliError } from './cli-error.js'

/** A mesh node the CLI opens for one command: connected to one relay, serving nothing. */
export interface MeshSession {
  mesh: SpiderMesh
  transporter: WebsocketTransporter
  close(): Promise<void>
}

// The CLI prints results on stdout and its own messages on stderr; the mesh's warnings go there too.
const stderrLogger: Logger = { ...consoleLogger, info: () => {}, debug: () => {} }

/**
 * Connects a new node to `url` and resolves once the relay has accepted it. Fails with exit code
 * 1 when the relay does not accept within `waitMs` — the transporter would otherwise retry forever.
 */
export async function openMeshSession(
  url: string,
  command: string,
  waitMs: number,
  token?: string,
): Promise<MeshSession> {
  const transporter = new WebsocketTransporter({
    heartbeatIntervalMs: 5000,
    reconnectIntervalMs: 200,
    maxReconnectIntervalMs: 1000,
    unsubscribeDelayMs: 0,
    meta: { tool: 'spider-mesh-cli', command },
    ...(token === undefined ? {} : { token }),
    onWarning: () => {
      // Reconnect chatter while waiting for the relay would bury the one useful message below.
    },
  })
  const mesh = new SpiderMesh({ nodeId: `cli-${command}-${process.pid}`, logger: stderrLogger })
  mesh.registerTransporter(transporter)
  const session: MeshSession = {
    mesh,
    transporter,
    async close() {
      await mesh.close()
      await transporter.close()
    },
  }
  transporter.connect(url)
  const accepted = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      subscription.unsubscribe()
      resolve(false)
    }, waitMs)
    const subscription = transporter.status$.subscribe((status) => {
      if (status.get(url) !== 'connected') return
      clearTimeout(timer)
      queueMicrotask(() => subscription.unsubscribe())
      resolve(true)
    })
  })
  if (!accepted) {
    await session.close()
    throw new CliError(
      `Could not connect to the relay at ${url} within ${waitMs} ms. Is it running? ` +
        'Start one with `spider-mesh relay`, or pass --relay <url>. ' +
        (token === undefined
          ? 'If the relay authenticates, pass --token.'
          : 'If it authenticates, check --token.'),
    )
  }
  return session
}
