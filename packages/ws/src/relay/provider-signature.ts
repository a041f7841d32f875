import { describeProviders, type MatchCandidate } from '@spider-mesh/core'
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
export function describeEndpoints(providers: readonly CallEndpoint[], service: string): string {
  return describeProviders(
    providers.map((end) => asCandidate(end, end.label)),
    service,
    true,
  )
}

/** A provider as core's matching and messages see it, under `name` (a node id for callers, the label for logs). */
export function asCandidate(end: CallEndpoint, name: string): MatchCandidate {
  return end.catalog ? { node_id: name, catalog: end.catalog } : { node_id: name }
}
