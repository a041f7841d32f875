import { ErrorCode } from './error-codes.js'
import type { ServiceCatalog } from './packets.js'
import { satisfiesRange } from './version-range.js'

/** A provider as far as matching a call needs it. */
export interface MatchCandidate {
  readonly node_id: string
  readonly catalog?: ServiceCatalog
}

/**
 * Whether a provider that announced `catalog` may be sent a call of `service.method` within
 * version `range`. A provider that announced nothing about the service (it predates catalogs)
 * may be sent any method, but satisfies no range.
 */
export function canServe(
  catalog: ServiceCatalog | undefined,
  service: string,
  method: string,
  range?: string,
): boolean {
  const info = catalog?.[service]
  if (range !== undefined && !satisfiesRange(info?.version, range)) return false
  return info === undefined || info.methods.includes(method)
}

/** Why no provider can take a call, when some serve the service: the code and what to tell. */
export function noMatchingProvider(
  providers: readonly MatchCandidate[],
  service: string,
  method: string,
  range: string | undefined,
): { code: string; message: string } {
  const inRange =
    range === undefined
      ? providers
      : providers.filter((p) => satisfiesRange(p.catalog?.[service]?.version, range))
  if (inRange.length === 0) {
    return {
      code: ErrorCode.MICROSERVICE_OFFLINE,
      message:
        `No provider of "${service}" matches version ${range} (call to ${method}()); running: ` +
        `${describeProviders(providers, service, false)}. Start a provider of that version or widen the link's version range.`,
    }
  }
  const where = range === undefined ? '' : ` at version ${range}`
  return {
    code: ErrorCode.MICROSERVICE_NOT_FOUND,
    message:
      `"${service}"${where} has no method "${method}" on any of its ${inRange.length} provider(s): ` +
      `${describeProviders(inRange, service, true)}. Check the method name, or deploy the version of the service that has it.`,
  }
}

/**
 * How messages name the providers of a service: `node (v2.1.0: a, b)` for the first few (the
 * relay's "providers differ" warning uses it too).
 */
export function describeProviders(
  providers: readonly MatchCandidate[],
  service: string,
  withMethods: boolean,
): string {
  const shown = providers.slice(0, 5).map((p) => {
    const info = p.catalog?.[service]
    const version = info?.version === undefined ? 'no version' : `v${info.version}`
    if (!withMethods || !info) return `${p.node_id} (${version})`
    const methods = info.methods.slice(0, 12).join(', ') + (info.methods.length > 12 ? ', …' : '')
    return `${p.node_id} (${version}: ${methods || 'no methods'})`
  })
  return shown.join('; ') + (providers.length > 5 ? `; and ${providers.length - 5} more` : '')
}
