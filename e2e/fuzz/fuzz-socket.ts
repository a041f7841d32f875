import { decodeFrames, encodeFrame, type Frame, FrameType } from '@spider-mesh/core'
import { track } from '../harness/index.js'

/** How a fuzz socket ended. */
export interface FuzzClose {
  code: number
  reason: string
  /** Whether the relay closed first (we had not called close()). */
  byRelay: boolean
}

/**
 * A WebSocket that sends whatever the fuzzer makes and keeps score of what comes back. Unlike
 * the harness's RawSocket it accepts several frames per message (the relay coalesces them), and it
 * answers the relay's pings, so a socket lives until the relay refuses it or the batch ends.
 * Anything the relay sends that is not a valid frame is recorded: the relay must never do that.
 */
export class FuzzSocket {
  readonly label: string
  readonly opened: Promise<void>
  readonly closed: Promise<FuzzClose>
  /** Frames received, by type. */
  readonly received = new Map<number, number>()
  /** Messages from the relay that did not decode as frames (must stay empty). */
  readonly undecodable: string[] = []
  /** Called for each Request the relay routes to this socket. */
  onRequest: ((frame: Extract<Frame, { 0: typeof FrameType.Request }>) => void) | undefined
  close_: FuzzClose | undefined
  readonly #ws: WebSocket
  #closing = false

  constructor(url: string, label: string) {
    this.label = label
    this.#ws = new WebSocket(url)
    this.#ws.binaryType = 'arraybuffer'
    this.opened = new Promise((resolve, reject) => {
      this.#ws.addEventListener('open', () => resolve(), { once: true })
      this.#ws.addEventListener('error', () => reject(new Error(`${label} could not connect to ${url}`)), {
        once: true,
      })
    })
    this.closed = new Promise((resolve) =>
      this.#ws.addEventListener(
        'close',
        (event) => {
          this.close_ = { code: event.code, reason: event.reason, byRelay: !this.#closing }
          resolve(this.close_)
        },
        { once: true },
      ),
    )
    this.#ws.addEventListener('message', (event) => this.#receive(event.data))
    track(label, () => this.close())
  }

  /** Whether sending still reaches the relay. */
  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN
  }

  /** Bytes queued in the socket and not yet handed to the network. */
  get buffered(): number {
    return this.#ws.bufferedAmount
  }

  count(type: number): number {
    return this.received.get(type) ?? 0
  }

  send(data: Uint8Array | string | Frame): void {
    if (!this.open) return
    this.#ws.send(typeof data === 'string' || data instanceof Uint8Array ? data : encodeFrame(data))
  }

  close(): void {
    this.#closing = true
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING)
      this.#ws.close()
  }

  #receive(data: unknown): void {
    if (typeof data === 'string') {
      this.undecodable.push(`text message ${JSON.stringify(data.slice(0, 80))}`)
      return
    }
    const bytes = new Uint8Array(data as ArrayBuffer)
    try {
      decodeFrames(bytes, (frame) => {
        this.received.set(frame[0], this.count(frame[0]) + 1)
        if (frame[0] === FrameType.Ping) this.send([FrameType.Pong, frame[1]])
        else if (frame[0] === FrameType.Request) this.onRequest?.(frame)
      })
    } catch (err) {
      this.undecodable.push(`${bytes.byteLength} bytes: ${(err as Error).message}`)
    }
  }
}
