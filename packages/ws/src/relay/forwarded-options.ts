import type { RequestOptions } from '@spider-mesh/core'
import type { CallEndpoint } from './call-endpoint.js'

/**
 * The options a provider gets with a request: the deadline, metadata and stream window as the
 * caller sent them, and the principal the relay authenticated the caller as — stamped here,
 * never taken from a caller (a caller's own `principal` is dropped). What only the relay reads
 * (version range, balancing) stays here. Undefined for a plain call without authentication, so
 * the common Request is forwarded with six fields and nothing is allocated for it.
 */
export function forwardedOptions(
  options: RequestOptions | undefined,
  caller: CallEndpoint,
): RequestOptions | undefined {
  // A caller on another relay was stamped by its relay, which this relay trusts.
  const principal = caller.remote ? options?.principal : caller.wirePrincipal
  if (options === undefined && principal === undefined) return undefined
  const deadline = options?.deadline
  const meta = options?.meta
  const window = options?.window
  if (deadline === undefined && meta === undefined && window === undefined && principal === undefined)
    return undefined
  const forwarded: RequestOptions = {}
  if (deadline !== undefined) forwarded.deadline = deadline
  if (meta !== undefined) forwarded.meta = meta
  if (window !== undefined) forwarded.window = window
  if (principal !== undefined) forwarded.principal = principal
  return forwarded
}
