import { silentLogger } from '../mesh/logger.js'
import { SpiderMesh } from '../mesh/spider-mesh.js'
import type { InProcessTransporter } from '../transport/in-process-transporter.js'

/** Meshes on one in-process bus for a test, all closed by `closeAll()` (call it in afterEach). */
export class MeshPool {
  readonly #meshes: SpiderMesh[] = []

  /** A silent mesh with this node id on `bus`. */
  node(bus: InProcessTransporter, nodeId: string): SpiderMesh {
    const mesh = new SpiderMesh({ nodeId, logger: silentLogger }).registerTransporter(bus)
    this.#meshes.push(mesh)
    return mesh
  }

  /** Tracks a mesh made elsewhere. */
  add(mesh: SpiderMesh): SpiderMesh {
    this.#meshes.push(mesh)
    return mesh
  }

  async closeAll(): Promise<void> {
    for (const mesh of this.#meshes.splice(0)) await mesh.close({ drainTimeoutMs: 0 })
  }
}
