import { decodeFrames, encodeFrame, type Frame, FrameType, type WelcomeNode } from '@spider-mesh/core'

/** What a stand-in relay's handlers can do: send one message (encoded frames) to the node. */
export type SendToNode = (bytes: Uint8Array) => void

/** Options of {@link standInRelay}. */
export interface StandInRelayOptions {
  /** The providers its Welcome lists (default: none). */
  providers?: WelcomeNode[]
  /** Runs right after the Welcome went out. */
  welcomed?(send: SendToNode): void
  /** Every frame from the node but its Hello. */
  frame?(frame: Frame, send: SendToNode): void
}

/**
 * A stand-in relay on 127.0.0.1 (an ephemeral port) for transporter tests: it welcomes each node
 * that says Hello and hands every other frame to `frame`. Not a relay: no routing, no checks.
 */
export function standInRelay(options: StandInRelayOptions): { url: string; stop(): void } {
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request, srv) => (srv.upgrade(request) ? undefined : new Response('no', { status: 400 })),
    websocket: {
      message(ws, data) {
        const send: SendToNode = (bytes) => void ws.send(bytes)
        decodeFrames(data as Uint8Array, (frame) => {
          if (frame[0] === FrameType.Hello) {
            send(encodeFrame([FrameType.Welcome, frame[1], 'stand-in', options.providers ?? [], 30_000]))
            options.welcomed?.(send)
          } else options.frame?.(frame, send)
        })
      },
    },
  })
  return { url: `ws://127.0.0.1:${server.port}`, stop: () => void server.stop(true) }
}
