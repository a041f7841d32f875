/** Plugs a Socket.IO server into Spider Mesh: `io.adapter(createAdapter(mesh, options))`. */
export { createAdapter, type MeshAdapterOptions } from './create-adapter.js'
/** The adapter `createAdapter` builds per namespace, and what it needs from the mesh and namespace. */
export {
  type AdapterMesh,
  type AdapterNamespace,
  MeshAdapter,
  type MeshAdapterSettings,
  namespaceTopic,
  responseTopic,
} from './mesh-adapter.js'
