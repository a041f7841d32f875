#!/usr/bin/env node
/**
 * The runnable relay: `bun run relay`, or `spider-mesh-relay` from the built package under Node.
 * Environment: PORT (default 8787, 0 picks a free port), HOST (default 127.0.0.1), RELAY_PATH,
 * HEARTBEAT_MS, RELAY_ADAPTER ('bun' or 'node'; default 'bun' under Bun), DASHBOARD=1 (serve the
 * live dashboard at http://HOST:PORT/).
 */
import { WebsocketRelayServer, type WebsocketRelayServerOptions } from '../relay-server.js'

const env = process.env

/** Reads a numeric variable; a non-number stops here with a message naming the variable. */
function numberFromEnv(name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const value = Number(raw)
  if (Number.isNaN(value)) {
    console.error(`Invalid ${name}=${JSON.stringify(raw)}: expected a number.`)
    process.exit(1)
  }
  return value
}

const host = env.HOST || '127.0.0.1'
const heartbeatIntervalMs = numberFromEnv('HEARTBEAT_MS')
const options: WebsocketRelayServerOptions = {
  host,
  port: numberFromEnv('PORT') ?? 8787,
  logger: {
    debug: () => {},
    info: (message, ...details) => console.log(message, ...details),
    warn: (message, ...details) => console.warn(message, ...details),
    error: (message, ...details) => console.error(message, ...details),
  },
}
if (env.RELAY_PATH) options.path = env.RELAY_PATH
if (heartbeatIntervalMs !== undefined) options.heartbeatIntervalMs = heartbeatIntervalMs
if (env.DASHBOARD === '1' || env.DASHBOARD === 'true') options.dashboard = true
if (env.RELAY_ADAPTER) options.adapter = env.RELAY_ADAPTER as 'bun' | 'node'

let server: WebsocketRelayServer
try {
  server = new WebsocketRelayServer(options)
} catch (err) {
  console.error((err as Error).message)
  process.exit(1)
}
// A listen failure (e.g. EADDRINUSE) is already logged by the server through the logger.
await server.ready.catch(() => process.exit(1))

// Tests and scripts wait for this exact prefix to learn the port.
console.log(`Spider Mesh relay listening on ws://${host}:${server.port}${options.path ?? ''}`)
if (options.dashboard) console.log(`Dashboard: http://${host}:${server.port}/`)

let stopping = false
const stop = async (signal: string): Promise<void> => {
  // A second signal means "now": do not wait for the clean shutdown.
  if (stopping) process.exit(1)
  stopping = true
  await server.close()
  console.log(`Spider Mesh relay stopped (${signal})`)
  process.exit(0)
}
process.on('SIGINT', () => void stop('SIGINT'))
process.on('SIGTERM', () => void stop('SIGTERM'))
