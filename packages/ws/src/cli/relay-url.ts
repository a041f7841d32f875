import { usageError } from './cli-error.js'
import type { FlagSpec } from './parse-args.js'

/** Where commands find the relay when `--relay` and `SPIDER_MESH_RELAY` are absent. */
export const DEFAULT_RELAY_URL = 'ws://127.0.0.1:8787'

/** The `--relay` flag every client command takes. */
export const RELAY_FLAG: FlagSpec = {
  name: 'relay',
  short: 'r',
  type: 'string',
  placeholder: 'url',
  env: 'SPIDER_MESH_RELAY',
  default: DEFAULT_RELAY_URL,
  description: 'The relay, as a ws:// or wss:// URL.',
}

/** The `--token` flag: what a relay started with `--auth-token` (or an `authenticate` hook) expects. */
export const TOKEN_FLAG: FlagSpec = {
  name: 'token',
  type: 'string',
  placeholder: 'secret',
  env: 'SPIDER_MESH_TOKEN',
  description: "Token for a relay that authenticates (sent as 'Authorization: Bearer').",
}

/** Validates a relay URL given on the command line; a usage error names it otherwise. */
export function relayUrl(raw: string | undefined, command: string): string {
  const url = raw ?? DEFAULT_RELAY_URL
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw usageError(`--relay expects a ws:// or wss:// URL, got ${JSON.stringify(url)}.`, command)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw usageError(`--relay expects a ws:// or wss:// URL, got ${JSON.stringify(url)}.`, command)
  }
  return url
}

/**
 * The relay's HTTP endpoint for `path` (`/directory`, `/health`). They are served on the relay's
 * port at the root, whatever WebSocket `path` the relay accepts upgrades on: ws → http, wss → https.
 */
export function relayHttpUrl(url: string, path: string): string {
  const parsed = new URL(url)
  const protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:'
  return `${protocol}//${parsed.host}${path}`
}
