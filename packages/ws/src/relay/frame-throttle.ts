import { ErrorCode, type Frame, FrameType, type RequestFrame } from '@spider-mesh/core'
import { RelayCloseCode } from './relay-close-codes.js'
import type { RelayLogger } from './relay-logger.js'
import type { RelayPeer } from './relay-peer.js'

/** What throttling may do to a connection. */
export interface ThrottleActions {
  logger: RelayLogger
  drop(peer: RelayPeer, code: number, reason: string): void
  /** Answers a request with OVERLOADED without forwarding it. */
  refuse(peer: RelayPeer, frame: RequestFrame, message: string): void
}

/**
 * Past `maxFramesPerSecond`: requests get OVERLOADED, publications and subscriptions are dropped
 * with one Error frame per window; answers (responses, cancels, pongs) are never throttled, so
 * calls already running are not broken. At 10× the limit the connection is a flood and is closed.
 * Returns true: the frame was consumed here.
 */
export function throttle(peer: RelayPeer, frame: Frame, maxFrames: number, actions: ThrottleActions): true {
  if (peer.framesInWindow > 10 * maxFrames) {
    actions.logger.warn(
      `[relay] ${peer.label} flooded the relay (> ${10 * maxFrames} frames/s); closing`,
      peer.about('flood', { limit: 10 * maxFrames }),
    )
    actions.drop(peer, RelayCloseCode.Flood, 'flood: too many frames per second')
    return true
  }
  const message = `Rate limit: more than ${maxFrames} frames per second on this connection (the relay's maxFramesPerSecond)`
  if (frame[0] === FrameType.Request && peer.nodeId !== null) {
    actions.refuse(peer, frame, message)
    return true
  }
  if (!peer.throttleNoticeSent) {
    peer.throttleNoticeSent = true
    peer.sendFrame([FrameType.Error, ErrorCode.OVERLOADED, `${message}; frames are being dropped`, null])
  }
  return true
}
