import { ErrorCode, MeshError } from '@spider-mesh/core'

/** Options of `WebsocketTransporter`; every one is optional. */
export interface WebsocketTransporterOptions {
  /** How often to ping each relay, in ms; a relay silent for 2.5× this is considered dead. Default 30000. */
  heartbeatIntervalMs?: number
  /** First reconnect delay in ms; doubles per failed attempt (with ±25% jitter). Default 1000. */
  reconnectIntervalMs?: number
  /** Upper bound of the reconnect delay in ms. Default 30000. */
  maxReconnectIntervalMs?: number
  /** How long a topic subscription outlives its last local listener, in ms. Default 10000. */
  unsubscribeDelayMs?: number
  /** Receives warnings (lost relay, bad frames). Default: `console.warn`. */
  onWarning?: (message: string) => void
  /**
   * Bearer token for a relay with `authenticate`: a string, or a function (may be async) asked
   * again before every connection attempt, so a refreshed token is used after a reconnect. The
   * Node/Bun entry sends it as `Authorization: Bearer`, browsers and React Native as the
   * `access_token` query parameter.
   */
  token?: string | (() => string | Promise<string>)
  /** Labels sent to relays in Hello (shown by `spider-mesh ls` and `/directory`); `version` and `runtime` are filled in. */
  meta?: Record<string, string>
}

/** `ws(s)://host[:port][/path…]`: parsed by hand, since React Native's `URL` is incomplete. */
const RELAY_URL = /^wss?:\/\/(\[[0-9a-f:.]+\]|[^/:?#\s@]+)(?::(\d*))?(?:[/?#]\S*)?$/i

/** Checks a relay URL at connect(): scheme, host and port, so a typo fails at once, not by silence. */
export function checkRelayUrl(url: unknown): void {
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) invalidUrl(url, 'wrong scheme')
  const match = RELAY_URL.exec(url)
  if (!match) invalidUrl(url, 'no host, or characters a URL cannot hold')
  const port = match[2]
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535)) {
    invalidUrl(url, 'the port must be 1 to 65535')
  }
}

function invalidUrl(url: unknown, why: string): never {
  throw new MeshError(
    ErrorCode.INVALID_OPTION,
    `connect() needs a ws:// or wss:// relay URL: ${why}, got ${JSON.stringify(url)}`,
  )
}

/** A positive number of ms option, or `fallback` when absent; anything else is INVALID_OPTION. */
export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `WebsocketTransporter: ${name} must be a positive number of ms, got ${JSON.stringify(value)}`,
    )
  }
  return value
}
