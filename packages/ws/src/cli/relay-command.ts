import { timingSafeEqual } from 'node:crypto'
import { defaultRelayName } from '../relay/cluster-options.js'
import { jsonRelayLogger } from '../relay/json-relay-logger.js'
import { logEvent } from '../relay/relay-logger.js'
import { WebsocketRelayServer, type WebsocketRelayServerOptions } from '../relay-server.js'
import { usageError } from './cli-error.js'
import { CLUSTER_FLAGS, clusterLine, clusterOptionsFrom } from './cluster-flags.js'
import type { Command } from './command.js'
import type { FlagSpec, ParsedArgs } from './parse-args.js'
import { readFileFor } from './read-file.js'

type NumericOption =
  | 'heartbeatIntervalMs'
  | 'maxPayloadBytes'
  | 'maxInFlightPerConnection'
  | 'maxFramesPerSecond'
  | 'maxBufferedBytes'
  | 'pendingTtlMs'
  | 'helloTimeoutMs'
  | 'maxServicesPerNode'
  | 'maxNameLength'

/** The relay's numeric options as flags: one row each, so help, env and options cannot drift apart. */
const NUMERIC_FLAGS: (FlagSpec & { option: NumericOption })[] = [
  {
    name: 'heartbeat-ms',
    option: 'heartbeatIntervalMs',
    type: 'number',
    env: 'HEARTBEAT_MS',
    default: '30000',
    placeholder: 'ms',
    description: 'Ping interval; a connection silent for 2.5 intervals is closed (4408).',
  },
  {
    name: 'max-payload-bytes',
    option: 'maxPayloadBytes',
    type: 'number',
    env: 'MAX_PAYLOAD_BYTES',
    default: '16777216',
    placeholder: 'bytes',
    description: 'Largest accepted message (1009 past it).',
  },
  {
    name: 'max-in-flight',
    option: 'maxInFlightPerConnection',
    type: 'number',
    env: 'MAX_IN_FLIGHT',
    default: '10000',
    placeholder: 'n',
    description: 'Calls one connection may have in flight; more get OVERLOADED.',
  },
  {
    name: 'max-frames-per-second',
    option: 'maxFramesPerSecond',
    type: 'number',
    env: 'MAX_FRAMES_PER_SECOND',
    default: '200000',
    placeholder: 'n',
    description: 'Frames per second per connection before OVERLOADED (4429 at 10x).',
  },
  {
    name: 'max-buffered-bytes',
    option: 'maxBufferedBytes',
    type: 'number',
    env: 'MAX_BUFFERED_BYTES',
    default: '16 MiB or 2 x max payload',
    placeholder: 'bytes',
    description: 'Send buffer of one socket before it is closed as a slow consumer (4503).',
  },
  {
    name: 'pending-ttl-ms',
    option: 'pendingTtlMs',
    type: 'number',
    env: 'PENDING_TTL_MS',
    default: '900000',
    placeholder: 'ms',
    description: 'A call with no response for this long is dropped (MICROSERVICE_RPC_TIMEOUT).',
  },
  {
    name: 'hello-timeout-ms',
    option: 'helloTimeoutMs',
    type: 'number',
    env: 'HELLO_TIMEOUT_MS',
    default: '10000',
    placeholder: 'ms',
    description: 'A connection that sent no Hello after this long is closed (4408).',
  },
  {
    name: 'max-services-per-node',
    option: 'maxServicesPerNode',
    type: 'number',
    env: 'MAX_SERVICES_PER_NODE',
    default: '256',
    placeholder: 'n',
    description: 'Services one node may announce; the rest are not listed (PAYLOAD_TOO_LARGE).',
  },
  {
    name: 'max-name-length',
    option: 'maxNameLength',
    type: 'number',
    env: 'MAX_NAME_LENGTH',
    default: '256',
    placeholder: 'chars',
    description: 'Longest service or topic name a node may announce or subscribe to.',
  },
]

/**
 * `--auth-token`: one shared secret. Nodes send it as `Authorization: Bearer` (Node/Bun) or the
 * `access_token` query parameter (browsers, React Native) — the transporter's `token` option.
 * Compared in constant time so the answer's timing does not leak how much of a guess was right.
 */
export function tokenAuthenticator(secret: string): (request: { token: string | undefined }) => unknown {
  const expected = new TextEncoder().encode(secret)
  return (request) => {
    const given = new TextEncoder().encode(request.token ?? '')
    return given.length === expected.length && timingSafeEqual(given, expected) ? { id: 'token' } : null
  }
}

function isJsonObject(text: string): boolean {
  try {
    const value = JSON.parse(text)
    return value !== null && typeof value === 'object' && !Array.isArray(value)
  } catch {
    return false
  }
}

/** Builds the relay's options from flags and environment (flags win). */
export function relayOptionsFrom(args: ParsedArgs): WebsocketRelayServerOptions {
  const host = args.string('host') ?? '127.0.0.1'
  const options: WebsocketRelayServerOptions = { host, port: args.number('port') ?? 8787 }
  // JSON lines write to the same streams as this logger: info on stdout, the rest on stderr.
  if (args.string('log-format') === 'json') options.logFormat = 'json'
  else {
    options.logger = {
      debug: () => {},
      info: (message, ...details) => console.log(message, ...details),
      warn: (message, ...details) => console.warn(message, ...details),
      error: (message, ...details) => console.error(message, ...details),
    }
  }
  const path = args.string('path')
  if (path !== undefined) options.path = path
  for (const flag of NUMERIC_FLAGS) {
    const value = args.number(flag.name)
    if (value !== undefined) options[flag.option] = value
  }
  if (args.flag('dashboard')) options.dashboard = true
  const cert = args.string('tls-cert')
  const key = args.string('tls-key')
  if ((cert === undefined) !== (key === undefined)) {
    throw usageError('--tls-cert and --tls-key go together: give both PEM files, or neither.', 'relay')
  }
  if (cert !== undefined && key !== undefined) {
    options.tls = {
      cert: readFileFor(cert, args.source('tls-cert') ?? '--tls-cert', 'relay'),
      key: readFileFor(key, args.source('tls-key') ?? '--tls-key', 'relay'),
    }
  }
  const token = args.string('auth-token')
  if (token !== undefined) options.authenticate = tokenAuthenticator(token)
  // Checked by the parser (the flag's `check`), which names the flag or the variable.
  const adapter = args.string('adapter') as 'bun' | 'node' | undefined
  if (adapter !== undefined) options.adapter = adapter
  const cluster = clusterOptionsFrom(args)
  if (cluster !== undefined) options.cluster = cluster
  // Parsed by the flag's `check` already; the relay validates retain and ttlMs (INVALID_OPTION).
  const topics = args.string('topics')
  if (topics !== undefined) options.topics = JSON.parse(topics)
  return options
}

/**
 * Where the command's own lines go: the console, or — with `--log-format json` — JSON lines like
 * the relay's, so that stdout holds nothing else.
 */
function commandLog(
  options: WebsocketRelayServerOptions,
  port: number | null,
): (message: string, event: string, fields?: Record<string, unknown>) => void {
  if (options.logFormat !== 'json') return (message) => console.log(message)
  const log = jsonRelayLogger({ relay: () => options.cluster?.name ?? defaultRelayName(port) })
  return (message, event, fields) => log.info(message, logEvent(event, fields))
}

/**
 * Runs a relay until SIGINT or SIGTERM. Prints `Spider Mesh relay listening on ws://HOST:PORT`
 * (scripts and tests wait for that prefix to learn the port; with `--log-format json` it is the
 * `msg` of the `relay_listening` line) and `Spider Mesh relay stopped`.
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
  } catch {
    // The server has already logged why (address, cause and what to do) through our logger.
    return 1
  }
  const say = commandLog(options, server.port)
  const [ws, http] = options.tls ? ['wss', 'https'] : ['ws', 'http']
  const url = `${ws}://${options.host}:${server.port}${options.path ?? ''}`
  say(`Spider Mesh relay listening on ${url}`, 'relay_listening', { url })
  if (options.dashboard) {
    const dashboard = `${http}://${options.host}:${server.port}/`
    say(`Dashboard: ${dashboard}`, 'dashboard', { url: dashboard })
  }
  const endpoints = `${http}://${options.host}:${server.port}`
  say(`HTTP: ${endpoints}/health, /metrics, /directory`, 'http_endpoints', { url: endpoints })
  if (options.authenticate)
    say('Authentication: nodes must send the --auth-token (transporter option `token`).', 'authentication')
  // The line masks credentials in the NATS URLs; the raw URLs must not become a field.
  if (options.cluster) say(clusterLine(options.cluster, server.port), 'cluster')

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  // A second signal means "now": do not wait for the clean shutdown.
  const now = () => process.exit(1)
  process.once('SIGINT', now)
  process.once('SIGTERM', now)
  await server.close()
  say(`Spider Mesh relay stopped (${signal})`, 'relay_stopped', { signal })
  return 0
}

/** `spider-mesh relay`: starts a relay. */
export const relayCommand: Command = {
  name: 'relay',
  summary: 'Start a relay (WebSocket routing plus /health, /metrics, /directory over HTTP).',
  usage: 'relay [flags]',
  details:
    'Runs until Ctrl-C or SIGTERM, then says Goodbye to every node and closes their sockets.\n' +
    'Every flag can also be given as the environment variable shown.\n' +
    'With --nats the relay joins every relay on that NATS (same --cluster-prefix) into one mesh:\n' +
    "any relay's URL reaches every node; it keeps serving its own nodes while NATS is unreachable.",
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
    ...NUMERIC_FLAGS.map(({ option: _option, ...flag }) => flag),
    {
      name: 'adapter',
      type: 'string',
      env: 'RELAY_ADAPTER',
      default: 'bun under Bun, else node',
      placeholder: 'bun|node',
      check: (value) => (value === 'bun' || value === 'node' ? undefined : '"bun" or "node"'),
      description: 'Socket library: Bun.serve websockets or the ws package.',
    },
    {
      name: 'tls-cert',
      type: 'string',
      env: 'TLS_CERT',
      placeholder: 'file',
      description: 'PEM certificate file: serve wss:// and https:// (needs --tls-key).',
    },
    {
      name: 'tls-key',
      type: 'string',
      env: 'TLS_KEY',
      placeholder: 'file',
      description: 'PEM private key file of --tls-cert.',
    },
    {
      name: 'auth-token',
      type: 'string',
      env: 'AUTH_TOKEN',
      placeholder: 'secret',
      description: 'Refuse (HTTP 401) WebSocket upgrades that do not carry this token.',
    },
    {
      name: 'log-format',
      type: 'string',
      env: 'LOG_FORMAT',
      default: 'text',
      placeholder: 'text|json',
      check: (value) => (value === 'text' || value === 'json' ? undefined : '"text" or "json"'),
      description: 'json: one JSON object per line per event (info on stdout, the rest on stderr).',
    },
    {
      name: 'topics',
      type: 'string',
      env: 'TOPICS',
      placeholder: 'json',
      check: (value) => (isJsonObject(value) ? undefined : 'a JSON object such as {"chat.*":{"retain":50}}'),
      description: 'Topic history: the relay option topics as JSON ({ pattern: { retain, ttlMs? } }).',
    },
    {
      name: 'dashboard',
      type: 'boolean',
      env: 'DASHBOARD',
      description: 'Serve the live dashboard page at http://HOST:PORT/.',
    },
    ...CLUSTER_FLAGS,
  ],
  examples: [
    'spider-mesh relay',
    'spider-mesh relay --port 9000 --dashboard',
    `spider-mesh relay --topics '{"chat.*":{"retain":50,"ttlMs":3600000}}'`,
    'PORT=0 HOST=0.0.0.0 spider-mesh relay --heartbeat-ms 5000',
    'LOG_FORMAT=json spider-mesh relay --port 0',
    'AUTH_TOKEN=s3cret spider-mesh relay --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
    'spider-mesh relay --nats nats://10.0.0.2:4222 --nats nats://10.0.0.3:4222 --cluster-name eu-1',
    'NATS_URL=tls://nats.internal:4222 NATS_CREDS=relay.creds NATS_TLS_CA=ca.pem spider-mesh relay',
  ],
  run: runRelay,
}
