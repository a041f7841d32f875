import type { CallEndpoint } from './call-endpoint.js'

/**
 * What a provider announced about one service, as one comparable string: providers with equal
 * signatures are interchangeable. A provider that announced nothing (it predates catalogs) has
 * its own signature, so it counts as different from those that did.
 */
export function catalogSignature(end: CallEndpoint, service: string): string {
  const info = end.catalog?.[service]
  if (!info) return '?'
  const methods = [...info.methods].sort().join(',')
  const idempotent = [...(info.idempotent ?? [])].sort().join(',')
  return `${info.version ?? ''}|${methods}|${idempotent}`
}

/** How logs name the providers of a service: who runs which version with which methods. */
export function describeProviders(providers: readonly CallEndpoint[], service: string): string {
  const shown = providers.slice(0, 5).map((end) => {
    const info = end.catalog?.[service]
    if (!info) return `${end.label} (no catalog: an older node)`
    const version = info.version === undefined ? 'no version' : `v${info.version}`
    return `${end.label} (${version}: ${info.methods.join(', ') || 'no methods'})`
  })
  const more = providers.length > 5 ? `, and ${providers.length - 5} more` : ''
  return shown.join('; ') + more
}
