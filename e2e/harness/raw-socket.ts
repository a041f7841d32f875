import { decodeFrames, encodeFrame, type Frame } from '@spider-mesh/core'
import { track } from './cleanup.js'
import { within } from './deadline.js'

/**
 * A bare WebSocket speaking (or deliberately breaking) the relay protocol, for tests of what the
 * relay does with bad input and of what exactly it forwards. Every frame received is decoded and
 * kept in `frames`.
 */
export class RawSocket {
  readonly frames: Frame[] = []
  readonly opened: Promise<void>
  readonly closed: Promise<{ code: number; reason: string }>
  readonly #ws: WebSocket
  readonly #listeners = new Set<(frame: Frame) => void>()

  constructor(url: string) {
    this.#ws = new WebSocket(url)
    this.#ws.binaryType = 'arraybuffer'
    this.opened = new Promise((resolve, reject) => {
      this.#ws.addEventListener('open', () => resolve(), { once: true })
      this.#ws.addEventListener('error', () => reject(new Error(`raw socket could not connect to ${url}`)), {
        once: true,
      })
    })
    this.closed = new Promise((resolve) =>
      this.#ws.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason }), {
        once: true,
      }),
    )
    this.#ws.addEventListener('message', (event) => {
      if (typeof event.data === 'string') return
      // The relay coalesces frames: one message may carry several.
      decodeFrames(new Uint8Array(event.data as ArrayBuffer), (frame) => {
        this.frames.push(frame)
        for (const listener of this.#listeners) listener(frame)
      })
    })
    track(`raw socket to ${url}`, () => this.close())
  }

  /** Sends a frame, raw bytes, or a text message. */
  send(data: Frame | Uint8Array | string): void {
    this.#ws.send(typeof data === 'string' || data instanceof Uint8Array ? data : encodeFrame(data))
  }

  /** The first frame (already received or future) matching `predicate`, within `ms`. */
  next(what: string, predicate: (frame: Frame) => boolean, ms = 3000): Promise<Frame> {
    const found = this.frames.find(predicate)
    if (found) return Promise.resolve(found)
    let listener!: (frame: Frame) => void
    const arrived = new Promise<Frame>((resolve) => {
      listener = (frame) => {
        if (predicate(frame)) resolve(frame)
      }
      this.#listeners.add(listener)
    })
    return within(ms, what, arrived).finally(() => this.#listeners.delete(listener))
  }

  close(): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING)
      this.#ws.close()
  }
}
