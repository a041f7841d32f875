import { ErrorCode, MeshError } from '@spider-mesh/core'
import type { ClusterAdapterOptions } from 'socket.io-adapter'
import { type AdapterMesh, type AdapterNamespace, MeshAdapter } from './mesh-adapter.js'

/** Options of {@link createAdapter}. */
export interface MeshAdapterOptions {
  /**
   * The first part of the topic names (`<prefix>#<namespace>#`, and `<prefix>#<namespace>#<uid>#`
   * for responses). Servers with different prefixes do not see each other on one mesh.
   * Default `socket.io`.
   */
  prefix?: string
  /** Ms between two heartbeats of a server (any message counts as one). Default: Socket.IO's, 5000. */
  heartbeatInterval?: number
  /** Ms without a message from a server before the others stop counting it. Default: Socket.IO's, 10000. */
  heartbeatTimeout?: number
}

/**
 * Makes a Socket.IO server one of several that serve an application together over Spider Mesh:
 * broadcasts, rooms, `fetchSockets`, `serverSideEmit` and `serverCount()` span every server on the
 * mesh (one relay or a relay cluster). Each namespace gets its own adapter and server id.
 *
 * @example
 * import { SpiderMesh } from '@spider-mesh/core'
 * import { createAdapter } from '@spider-mesh/socket.io'
 * import { WebsocketTransporter } from '@spider-mesh/ws/node'
 * import { Server } from 'socket.io'
 *
 * const transporter = new WebsocketTransporter()
 * transporter.connect('ws://127.0.0.1:8787')
 * const mesh = new SpiderMesh()
 * mesh.registerTransporter(transporter)
 * const io = new Server(3000)
 * io.adapter(createAdapter(mesh))
 */
export function createAdapter(
  mesh: AdapterMesh,
  options: MeshAdapterOptions = {},
): typeof MeshAdapter & (new (nsp: AdapterNamespace) => MeshAdapter) {
  if (typeof mesh?.publish !== 'function' || typeof mesh?.listen !== 'function') {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      'createAdapter() needs a SpiderMesh (with a transporter registered) as its first argument',
    )
  }
  const prefix = options.prefix ?? 'socket.io'
  if (typeof prefix !== 'string' || prefix === '') {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `prefix must be a non-empty string, got ${JSON.stringify(prefix)}`,
    )
  }
  // Only the options given: Socket.IO merges them over its defaults with Object.assign, so an
  // `undefined` would replace a default and stop the heartbeat.
  const heartbeat: ClusterAdapterOptions = {}
  for (const name of ['heartbeatInterval', 'heartbeatTimeout'] as const) {
    const value = options[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `${name} must be a number of ms > 0, got ${JSON.stringify(value)}`,
      )
    }
    heartbeat[name] = value
  }
  const settings = { prefix, heartbeat }
  // Socket.IO constructs the adapter with `new`, which an arrow function cannot serve.
  return class extends MeshAdapter {
    constructor(nsp: AdapterNamespace) {
      super(nsp, mesh, settings)
    }
  }
}
