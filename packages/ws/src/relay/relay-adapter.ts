import type { Registry } from 'prom-client'
import type { Authenticate } from './authentication.js'
import { logEvent, type RelayLogger } from './relay-logger.js'
import type { RelayRouter } from './relay-router.js'

/** Decides whether a connection is a mesh node (true) or a passive client (false). */
export type ConnectionClassifier = (socket: unknown, request: unknown) => boolean

/** What each adapter needs: where to listen and the router to feed. */
export interface RelayAdapterOptions {
  host?: string
  port: number
  path?: string
  maxPayloadBytes: number
  /** Serve the live dashboard at `GET /`. */
  dashboard: boolean
  /** The relay's `/metrics` registry. */
  registry: Registry
  router: RelayRouter
  isServerConnection?: ConnectionClassifier
  authenticate?: Authenticate
  /** `{ cert, key }` in PEM: serve wss:// and https://. */
  tls?: { cert: string; key: string }
  logger: RelayLogger
}

/** A listening socket server wired to a router. One implementation per socket library. */
export interface RelayAdapter {
  /** The bound port, or null while not (yet) listening. */
  readonly port: number | null
  /** Resolves once listening; rejects when the port cannot be bound. */
  readonly ready: Promise<void>
  /** Stops listening and closes the remaining sockets; call after `router.close()`. */
  close(): Promise<void>
}

/**
 * Runs the user's `isServerConnection` hook. Without a hook every connection is a mesh node.
 * Returns null when the hook threw: such a connection is closed rather than guessed at, because
 * the hook is the relay's access control.
 */
export function classifyConnection(
  options: RelayAdapterOptions,
  socket: unknown,
  request: unknown,
): boolean | null {
  if (!options.isServerConnection) return true
  try {
    return options.isServerConnection(socket, request) === true
  } catch (err) {
    options.logger.error(
      '[relay] isServerConnection threw; closing the connection',
      err,
      logEvent('classify_failed'),
    )
    return null
  }
}

/** Whether a request URL's path matches the configured one (any path when unset). */
export function acceptsPath(path: string | undefined, url: string | undefined): boolean {
  if (path === undefined) return true
  const pathname = new URL(url ?? '/', 'http://relay').pathname
  return pathname === path
}

/** Wraps a listen failure in an error that says which address and what to do. */
export function listenError(err: unknown, host: string | undefined, port: number): Error {
  const cause = err as { code?: string; message?: string }
  const where = `${host ?? '0.0.0.0'}:${port}`
  const hint =
    cause.code === 'EADDRINUSE' ? ' The port is taken: stop the other process or pick another port.' : ''
  const detail = cause.message ?? String(err)
  const sentence = /[.?!]$/.test(detail) ? detail : `${detail}.`
  const error = new Error(`Spider Mesh relay could not listen on ${where}: ${sentence}${hint}`, {
    cause: err,
  })
  if (cause.code) Object.defineProperty(error, 'code', { value: cause.code, enumerable: true })
  return error
}

/** How long close() waits for clients to finish the closing handshake before cutting them off. */
export const CLOSE_GRACE_MS = 1000
