/**
 * The part of the W3C WebSocket interface the transporter uses. The browser's and React Native's
 * global WebSocket, Bun's, and the `ws` package's all fit, so the runtime entries only choose
 * which constructor to use.
 */
export interface WebSocketLike {
  binaryType: string
  readonly readyState: number
  readonly bufferedAmount: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
}

/** Creates a socket for a URL; chosen by the runtime entry (`/node`, `/browser`, `/react-native`). */
export type SocketFactory = (url: string) => WebSocketLike

/** WebSocket readyState values (not every runtime exposes them as statics). */
export const OPEN = 1
