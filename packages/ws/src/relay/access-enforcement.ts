import { ErrorCode, FrameType } from '@spider-mesh/core'
import { type AccessPolicy, ConnectionAccess } from './access-rules.js'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayLogger } from './relay-logger.js'
import type { RelayPeer } from './relay-peer.js'

/**
 * Tells a node it may not do `what` (an Error frame with ACCESS_DENIED). Logged at debug level:
 * a client that keeps trying must not be able to flood the relay's log.
 */
export function deny(peer: RelayPeer, what: string, logger: RelayLogger): void {
  logger.debug(`[relay] denied: ${peer.label} may not ${what}`, peer.about('access_denied', { what }))
  peer.sendFrame([FrameType.Error, ErrorCode.ACCESS_DENIED, `${peer.label} may not ${what}`, null])
}

/** Keeps the names the connection may use for `what`, reporting the others to it (ACCESS_DENIED). */
export function allowedNames(
  peer: RelayPeer,
  what: 'provide' | 'subscribe',
  names: string[],
  logger: RelayLogger,
): string[] {
  const access = peer.access
  if (!access) return names
  const matcher = access[what]
  const allowed = names.filter((name) => matcher.allows(name))
  if (allowed.length < names.length) {
    const refused = names.filter((name) => !matcher.allows(name))
    deny(peer, `${what} ${refused.map((n) => `"${n}"`).join(', ')}`, logger)
  }
  return allowed
}

/**
 * Gives a new connection the rules the relay's `access` policy returns for its principal. A
 * policy that throws closes the connection (1011) rather than guessing: it is access control.
 * Returns false when the connection was closed.
 */
export function applyAccessPolicy(
  peer: RelayPeer,
  policy: AccessPolicy | undefined,
  isServer: boolean,
  logger: RelayLogger,
): boolean {
  if (!policy) return true
  try {
    peer.access = new ConnectionAccess(policy(peer.principal, { isServer }))
    return true
  } catch (err) {
    logger.error(
      '[relay] the access policy threw; closing the connection',
      err,
      peer.about('access_policy_failed'),
    )
    peer.closed = true
    peer.connection.close(RelayCloseCode.InternalError, 'access policy failed')
    return false
  }
}
