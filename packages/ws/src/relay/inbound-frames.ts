import { decodeFrames, type Frame, FrameType, type RawFrame, rawFrame, readRawFrame } from '@spider-mesh/core'
import type { CallRouter } from './call-router.js'
import type { ConnectionDiscipline } from './connection-discipline.js'
import { type ThrottleActions, throttle } from './frame-throttle.js'
import type { RelayLogger } from './relay-logger.js'
import type { RelayMetrics } from './relay-metrics.js'
import type { RelayPeer } from './relay-peer.js'

/** What {@link InboundFrames} needs from the router around it. */
export interface InboundFramesOptions {
  metrics: RelayMetrics
  logger: RelayLogger
  maxFramesPerSecond: number
  discipline: ConnectionDiscipline
  throttleActions: ThrottleActions
  calls: CallRouter
  /** Handles one validated frame of a connection past the rate limit. */
  dispatch(peer: RelayPeer, frame: Frame): void
}

/**
 * The relay's inbound side: each message a connection sends, split into its frames, counted
 * against the rate limit and handed on. Responses and plain Requests from a node past Hello are
 * forwarded from their raw bytes (raw-frames.ts); every other frame is decoded, validated and
 * dispatched. A handler that throws costs its frame, never the relay.
 */
export class InboundFrames {
  readonly #options: InboundFramesOptions
  /** The connection whose message is being read (the decoder takes one callback for all). */
  #current: RelayPeer | undefined
  readonly #raw: RawFrame = rawFrame()

  constructor(options: InboundFramesOptions) {
    this.#options = options
  }

  /** Handles one inbound message. A string is a text message, which the protocol does not allow. */
  message(peer: RelayPeer, data: Uint8Array | string): void {
    if (peer.closed) return
    const now = Date.now()
    peer.lastSeen = now
    // Anything arriving after a liveness probe answers it.
    peer.probeSentAt = 0
    if (now >= peer.windowEndsAt) {
      peer.windowEndsAt = now + 1000
      peer.framesInWindow = 0
      peer.throttleNoticeSent = false
    }
    this.#options.metrics.bytesIn += typeof data === 'string' ? data.length : data.byteLength
    if (typeof data === 'string') {
      this.#options.discipline.protocolError(
        peer,
        'Text messages are not part of the protocol: send binary msgpack frames',
      )
      return
    }
    this.#current = peer
    try {
      decodeFrames(data, this.#onFrame, this.#takeRaw)
    } catch (err) {
      this.#options.discipline.protocolError(peer, (err as Error).message)
    }
  }

  /**
   * Forwards the frame at `pos` from its bytes when it is one raw-frames.ts reads and nothing
   * about it needs the generic path (a connection before Hello, a Request over the rate limit):
   * answers where it ended, or -1 to have it decoded.
   */
  readonly #takeRaw = (bytes: Uint8Array, pos: number): number => {
    const raw = this.#raw
    if (!readRawFrame(bytes, pos, raw)) return -1
    const peer = this.#current!
    if (peer.closed) return raw.end
    if (peer.nodeId === null) return -1
    const request = raw.type === FrameType.Request
    if (request) {
      if (peer.framesInWindow >= this.#options.maxFramesPerSecond) return -1
      peer.framesInWindow++
    }
    this.#options.metrics.framesIn++
    try {
      if (request) this.#options.calls.requestRaw(peer, bytes, raw)
      else this.#options.calls.responseRaw(peer, bytes, raw)
    } catch (err) {
      this.#failed(peer, err)
    }
    return raw.end
  }

  readonly #onFrame = (frame: Frame): void => {
    const peer = this.#current!
    if (peer.closed) return
    const { metrics, maxFramesPerSecond } = this.#options
    metrics.framesIn++
    // Answers (a provider streaming a response, cancels, pongs) are not what the limit is for:
    // only frames that ask the relay for new work count.
    const type = frame[0]
    if (
      type !== FrameType.Response &&
      type !== FrameType.Cancel &&
      type !== FrameType.Pong &&
      ++peer.framesInWindow > maxFramesPerSecond &&
      throttle(peer, frame, maxFramesPerSecond, this.#options.throttleActions)
    ) {
      return
    }
    try {
      this.#options.dispatch(peer, frame)
    } catch (err) {
      this.#failed(peer, err)
    }
  }

  /** A bug in a handler must cost one frame, never the relay. */
  #failed(peer: RelayPeer, err: unknown): void {
    this.#options.logger.error(
      `[relay] failed to handle a frame from ${peer.label}`,
      err,
      peer.about('frame_failed'),
    )
  }
}
