/**
 * The process's mesh: the first live `SpiderMesh`, which serves `@Microservice` instances
 * constructed without an explicit mesh (`new GreetingService()` in the spec's provider example).
 */
interface ProcessMesh {
  readonly closed: boolean
  serveUnclaimed(instance: object): void
}

let current: ProcessMesh | undefined
/** Instances constructed before any mesh existed; served by the first mesh created. */
const waiting: object[] = []
/** Instances a mesh took explicitly; the process mesh leaves them alone. */
const claimed = new WeakSet<object>()

/**
 * Serves a newly constructed instance on the process mesh. Deferred by a microtask so that
 * `otherMesh.provide(new Service())` in the same tick claims it first and it is served once.
 */
export function serveOnProcessMesh(instance: object): void {
  queueMicrotask(() => {
    if (claimed.has(instance)) return
    if (current && !current.closed) current.serveUnclaimed(instance)
    else waiting.push(instance)
  })
}

/** Marks an instance as served by an explicit mesh. */
export function claimInstance(instance: object): void {
  claimed.add(instance)
}

/** Makes `mesh` the process mesh if there is none, and hands it the instances that waited. */
export function offerProcessMesh(mesh: ProcessMesh): void {
  if (current && !current.closed) return
  current = mesh
  for (const instance of waiting.splice(0)) if (!claimed.has(instance)) mesh.serveUnclaimed(instance)
}

/** Called when a mesh closes. */
export function leaveProcessMesh(mesh: ProcessMesh): void {
  if (current === mesh) current = undefined
}
