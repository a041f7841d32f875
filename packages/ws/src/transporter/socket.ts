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

/** What a socket is opened with besides its URL. */
export interface SocketInit {
  /** The bearer token for the relay's `authenticate` hook, if the transporter has one. */
  token?: string
}

/**
 * Creates a socket for a URL; chosen by the runtime entry (`/node`, `/browser`, `/react-native`).
 * Each entry passes the token the way its runtime can: a header where possible, else a query
 * parameter.
 */
export type SocketFactory = ((url: string, init: SocketInit) => WebSocketLike) & {
  /**
   * The sockets it opens copy what `send` is given before it returns (browsers, React Native and
   * Bun do; `ws` keeps a reference while a write is queued): the link then hands them a view of
   * its reused batch buffer instead of a fresh copy per message.
   */
  readonly copiesOnSend?: boolean
  /**
   * The `binaryType` the link gives its sockets. `'nodebuffer'` where the runtime has it (`ws`,
   * Bun): each message arrives as a Uint8Array the decoder reads as it is, with no ArrayBuffer to
   * make and wrap per message (`ws` also copies a message into an ArrayBuffer for
   * `'arraybuffer'`). Default `'arraybuffer'`, the W3C standard.
   */
  readonly binaryType?: 'arraybuffer' | 'nodebuffer'
}

/** Adds `access_token` to a URL: for runtimes whose WebSocket cannot send headers. */
export function withTokenParam(url: string, token: string | undefined): string {
  if (token === undefined) return url
  const u = new URL(url)
  u.searchParams.set('access_token', token)
  return u.toString()
}

/** WebSocket readyState values (not every runtime exposes them as statics). */
export const OPEN = 1

/**
 * Opens the runtime's global WebSocket (browsers, React Native). Their WebSocket cannot send
 * headers, so the token goes in the URL.
 */
export const globalSocketFactory: SocketFactory = Object.assign(
  (url: string, init: SocketInit) => {
    const Socket = (globalThis as { WebSocket?: new (url: string) => WebSocketLike }).WebSocket
    if (!Socket) throw new Error('This environment has no global WebSocket')
    return new Socket(withTokenParam(url, init.token))
  },
  // The WebSocket standard has send() take a copy; React Native's encodes it at once.
  { copiesOnSend: true },
)
