import { WebsocketRelayServer, type WebsocketRelayServerOptions } from '../relay-server.js'
import { CliError, usageError } from './cli-error.js'
import type { Command } from './command.js'
import type { ParsedArgs } from './parse-args.js'

/** Builds the relay's options from flags and environment (flags win). */
export function relayOptionsFrom(args: ParsedArgs): WebsocketRelayServerOptions {
  const host = args.string('host') ?? '127.0.0.1'
  const options: WebsocketRelayServerOptions = {
    host,
    port: args.number('port') ?? 8787,
    logger: {
      debug: () => {},
      info: (message, ...details) => console.log(message, ...details),
      warn: (message, ...details) => console.warn(message, ...details),
      error: (message, ...details) => console.error(message, ...details),
    },
  }
  const path = args.string('path')
  if (path !== undefined) options.path = path
  const heartbeat = args.number('heartbeat-ms')
  if (heartbeat !== undefined) options.heartbeatIntervalMs = heartbeat
  const maxPayload = args.number('max-payload-bytes')
  if (maxPayload !== undefined) options.maxPayloadBytes = maxPayload
  if (args.flag('dashboard')) options.dashboard = true
  const adapter = args.string('adapter')
  if (adapter !== undefined) {
    if (adapter !== 'bun' && adapter !== 'node') {
      throw usageError(`--adapter expects "bun" or "node", got ${JSON.stringify(adapter)}.`, 'relay')
    }
    options.adapter = adapter
  }
  return options
}

/**
 * Runs a relay until SIGINT or SIGTERM. Prints `Spider Mesh relay listening on ws://HOST:PORT`
 * (scripts and tests wait for that prefix to learn the port) and `Spider Mesh relay stopped`.
 */
async function runRelay(args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 0) {
    throw usageError(`relay takes no arguments, got ${JSON.stringify(args.positionals.join(' '))}.`, 'relay')
  }
  const options = relayOptionsFrom(args)
  let server: WebsocketRelayServer
  try {
    server = new WebsocketRelayServer(options)
  } catch (err) {
    // Invalid options (INVALID_OPTION) are command-line mistakes: the message names the option.
    throw usageError((err as Error).message, 'relay')
  }
  try {
    await server.ready
  } catch (err) {
    throw new CliError(
      `The relay could not listen on ${options.host}:${options.port}: ${(err as Error).message}`,
    )
  }
  const address = `ws://${options.host}:${server.port}${options.path ?? ''}`
  console.log(`Spider Mesh relay listening on ${address}`)
  if (options.dashboard) console.log(`Dashboard: http://${options.host}:${server.port}/`)
  console.log(`HTTP: http://${options.host}:${server.port}/health, /metrics, /directory`)

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  // A second signal means "now": do not wait for the clean shutdown.
  const now = () => process.exit(1)
  process.once('SIGINT', now)
  process.once('SIGTERM', now)
  await server.close()
  console.log(`Spider Mesh relay stopped (${signal})`)
  return 0
}

/** `spider-mesh relay`: starts a relay. */
export const relayCommand: Command = {
  name: 'relay',
  summary: 'Start a relay (WebSocket routing plus /health, /metrics, /directory over HTTP).',
  usage: 'relay [flags]',
  details:
    'Runs until Ctrl-C or SIGTERM, then says Goodbye to every node and closes their sockets.\n' +
    'Every flag can also be given as the environment variable shown.',
  flags: [
    {
      name: 'host',
      type: 'string',
      env: 'HOST',
      default: '127.0.0.1',
      placeholder: 'host',
      description: 'Interface to bind (0.0.0.0 for all).',
    },
    {
      name: 'port',
      short: 'p',
      type: 'number',
      env: 'PORT',
      default: '8787',
      placeholder: 'port',
      description: 'Port to listen on; 0 picks a free one.',
    },
    {
      name: 'path',
      type: 'string',
      env: 'RELAY_PATH',
      placeholder: 'path',
      description: 'Accept WebSocket upgrades only on this path (e.g. /mesh); default any path.',
    },
    {
      name: 'heartbeat-ms',
      type: 'number',
      env: 'HEARTBEAT_MS',
      default: '30000',
      placeholder: 'ms',
      description: 'Ping interval; a connection silent for 2.5 intervals is closed.',
    },
    {
      name: 'max-payload-bytes',
      type: 'number',
      env: 'MAX_PAYLOAD_BYTES',
      default: '16777216',
      placeholder: 'bytes',
      description: 'Largest accepted message.',
    },
    {
      name: 'adapter',
      type: 'string',
      env: 'RELAY_ADAPTER',
      default: 'bun under Bun, else node',
      placeholder: 'bun|node',
      description: 'Socket library: Bun.serve websockets or the ws package.',
    },
    {
      name: 'dashboard',
      type: 'boolean',
      env: 'DASHBOARD',
      description: 'Serve the live dashboard page at http://HOST:PORT/.',
    },
  ],
  examples: [
    'spider-mesh relay',
    'spider-mesh relay --port 9000 --dashboard',
    'PORT=0 HOST=0.0.0.0 spider-mesh relay --heartbeat-ms 5000',
  ],
  run: runRelay,
}
