import { serveOnProcessMesh } from '../mesh/process-mesh.js'
import { defineService } from '../mesh/service-definition.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { MeshError } from '../protocol/errors.js'
import { isVersion } from '../protocol/version-range.js'

/** Options of {@link Microservice}. */
export interface MicroserviceOptions {
  /** The service name callers use. Defaults to the class name (set it when a minifier renames classes). */
  name?: string
  /**
   * The service's version (semver, e.g. `'2.1.0'`). Providers announce it; callers can restrict
   * their calls to a range with `link(mesh, { service, version: '^2' })`, and `spider-mesh ls`
   * shows it.
   */
  version?: string
}

type Constructor = new (...args: any[]) => object

/**
 * Marks a class as a service. Constructing an instance serves it on the process's mesh (the first
 * `SpiderMesh` created) unless `mesh.provide(instance)` claims it for another mesh in the same tick.
 * Only the class's own public methods are remotely callable.
 *
 * @example
 * import { Microservice } from '@spider-mesh/core'
 *
 * @Microservice()
 * class GreetingService {
 *   async hello(name: string) {
 *     return `hello ${name}`
 *   }
 * }
 *
 * new GreetingService()
 */
export function Microservice(options: MicroserviceOptions = {}) {
  return <T extends Constructor>(target: T): T => {
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `@Microservice({ name }) on class ${target.name} needs a non-empty string, got ${JSON.stringify(options.name)}`,
      )
    }
    if (options.version !== undefined && !isVersion(options.version)) {
      throw new MeshError(
        ErrorCode.INVALID_OPTION,
        `@Microservice({ version }) on class ${target.name} needs a semver version such as "2.1.0", got ${JSON.stringify(options.version)}`,
      )
    }
    const served = class extends target {
      constructor(...args: any[]) {
        super(...args)
        // Only the most derived decorated class announces, so a decorated subclass is served once.
        if (new.target === served) serveOnProcessMesh(this)
      }
    }
    Object.defineProperty(served, 'name', { value: target.name })
    defineService(served, options.name ?? target.name, options.version)
    return served
  }
}
