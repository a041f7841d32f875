import { peerImport } from './peer-import.js'

/** The members of a socket.io-client socket the bench uses. */
export interface IoClientSocket {
  on(event: string, handler: (...args: any[]) => void): void
  emit(event: string, ...args: unknown[]): void
  emitWithAck(event: string, payload: unknown): Promise<unknown>
}

/** Connects a socket.io-client socket over WebSocket only, resolving once connected. */
export async function connectIo(url: string, role: string): Promise<IoClientSocket> {
  const { io } = await peerImport<{ io: (url: string, options: object) => IoClientSocket }>(
    'socket.io-client',
  )
  const socket = io(url, { transports: ['websocket'], query: { role }, reconnection: false })
  await new Promise<void>((resolve, reject) => {
    socket.on('connect', () => resolve())
    socket.on('connect_error', (err: Error) => reject(err))
  })
  return socket
}
