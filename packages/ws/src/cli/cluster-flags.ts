import { credsAuthenticator, type NodeConnectionOptions } from '@nats-io/transport-node'
import { type ClusterOptions, defaultRelayName, validPrefix } from '../relay/cluster-options.js'
import { usageError } from './cli-error.js'
import type { FlagSpec, ParsedArgs } from './parse-args.js'
import { readFileFor } from './read-file.js'

const NATS_URL = 'a NATS server URL such as nats://127.0.0.1:4222 (nats://, tls://, ws:// or wss://)'

/** What a `--nats` value should have been, or undefined when it is a usable NATS server URL. */
export function natsUrlProblem(value: string): string | undefined {
  // The schemes the relay's `cluster.nats` option accepts; a bare host:port is refused there too.
  if (!/^(nats|tls|wss?):\/\/\S/.test(value)) return NATS_URL
  try {
    return new URL(value).hostname === '' ? NATS_URL : undefined
  } catch {
    return NATS_URL
  }
}

const relayName = (value: string) =>
  value === '' || value.length > 128 ? 'a non-empty relay name of at most 128 characters' : undefined

function prefixProblem(value: string): string | undefined {
  try {
    validPrefix(value)
    return undefined
  } catch {
    return "NATS subject tokens separated by dots, without '*', '>' or spaces (e.g. spider-mesh or acme.prod)"
  }
}

/** `spider-mesh relay`'s cluster flags: the relay's `cluster` option and the NATS client's credentials. */
export const CLUSTER_FLAGS: FlagSpec[] = [
  {
    name: 'nats',
    type: 'list',
    env: 'NATS_URL',
    placeholder: 'url',
    check: natsUrlProblem,
    description: 'Join a cluster of relays over this NATS server (several URLs: one NATS cluster).',
  },
  {
    name: 'cluster-name',
    type: 'string',
    env: 'CLUSTER_NAME',
    default: 'HOSTNAME:PORT',
    placeholder: 'name',
    check: relayName,
    description: "This relay's name in the cluster: /directory, spider-mesh ls, logs.",
  },
  {
    name: 'cluster-prefix',
    type: 'string',
    env: 'CLUSTER_PREFIX',
    default: 'spider-mesh',
    placeholder: 'prefix',
    check: prefixProblem,
    description: 'NATS subject prefix; relays with different prefixes on one NATS are separate clusters.',
  },
  {
    name: 'prefer-local',
    type: 'boolean',
    env: 'PREFER_LOCAL',
    description: 'Call providers on this relay while there is one, and those on other relays otherwise.',
  },
  {
    name: 'nats-user',
    type: 'string',
    env: 'NATS_USER',
    placeholder: 'user',
    description: 'NATS user name (needs --nats-pass).',
  },
  {
    name: 'nats-pass',
    type: 'string',
    env: 'NATS_PASS',
    placeholder: 'password',
    description: 'Password of --nats-user (prefer NATS_PASS: flags show in ps).',
  },
  {
    name: 'nats-token',
    type: 'string',
    env: 'NATS_TOKEN',
    placeholder: 'token',
    description: 'NATS authentication token.',
  },
  {
    name: 'nats-creds',
    type: 'string',
    env: 'NATS_CREDS',
    placeholder: 'file',
    description: 'NATS credentials file (.creds: user JWT and nkey seed).',
  },
  {
    name: 'nats-tls-ca',
    type: 'string',
    env: 'NATS_TLS_CA',
    placeholder: 'file',
    description: 'CA certificate (PEM) that signed the NATS server certificate.',
  },
]

/** Reads a `.creds` file and checks it now, so a bad one fails at start rather than at every reconnect. */
function credsFrom(file: string, source: string): ReturnType<typeof credsAuthenticator> {
  const authenticator = credsAuthenticator(new TextEncoder().encode(readFileFor(file, source, 'relay')))
  try {
    // Parses the JWT and the seed and signs a nonce, as the client will at connect.
    authenticator('spider-mesh-check')
  } catch (err) {
    throw usageError(
      `${source}: ${file} is not a NATS credentials file (${(err as Error).message}); ` +
        'expected the user JWT and the nkey seed, as `nsc generate creds` writes them.',
      'relay',
    )
  }
  return authenticator
}

/** The NATS client options of the credential flags; throws a usage error for a contradictory set. */
function natsOptionsFrom(args: ParsedArgs): Partial<NodeConnectionOptions> {
  const natsOptions: Partial<NodeConnectionOptions> = {}
  const user = args.string('nats-user')
  const pass = args.string('nats-pass')
  const token = args.string('nats-token')
  const creds = args.string('nats-creds')
  if ((user === undefined) !== (pass === undefined)) {
    throw usageError(
      `${args.source('nats-user') ?? args.source('nats-pass')} needs its pair: --nats-user and --nats-pass ` +
        '(env NATS_USER, NATS_PASS) go together.',
      'relay',
    )
  }
  const ways = [
    user === undefined ? undefined : `${args.source('nats-user')}/${args.source('nats-pass')}`,
    args.source('nats-token'),
    args.source('nats-creds'),
  ].filter((way) => way !== undefined)
  if (ways.length > 1) {
    throw usageError(
      `${ways.join(' and ')}: give one way to authenticate to NATS ` +
        '(user and password, token, or credentials file).',
      'relay',
    )
  }
  if (user !== undefined && pass !== undefined) Object.assign(natsOptions, { user, pass })
  if (token !== undefined) natsOptions.token = token
  if (creds !== undefined) natsOptions.authenticator = credsFrom(creds, args.source('nats-creds')!)
  const ca = args.string('nats-tls-ca')
  if (ca !== undefined) {
    readFileFor(ca, args.source('nats-tls-ca')!, 'relay')
    natsOptions.tls = { caFile: ca }
  }
  return natsOptions
}

/** The relay's `cluster` option from the cluster flags; undefined without --nats (or NATS_URL). */
export function clusterOptionsFrom(args: ParsedArgs): ClusterOptions | undefined {
  const nats = args.list('nats')
  if (nats === undefined) {
    // A cluster setting without a NATS server is a mistake worth stopping for, not a silent solo relay.
    const stray = CLUSTER_FLAGS.filter((f) => f.name !== 'nats' && args.has(f.name))
      .filter((f) => f.type !== 'boolean' || args.flag(f.name))
      .map((f) => args.source(f.name))
    if (stray.length > 0) {
      throw usageError(
        `${stray.join(', ')} only ${stray.length === 1 ? 'applies' : 'apply'} to a cluster: ` +
          'give its NATS server with --nats <url> (or NATS_URL).',
        'relay',
      )
    }
    return undefined
  }
  const cluster: ClusterOptions = { nats }
  const name = args.string('cluster-name')
  if (name !== undefined) cluster.name = name
  const prefix = args.string('cluster-prefix')
  if (prefix !== undefined) cluster.prefix = prefix
  if (args.flag('prefer-local')) cluster.preferLocal = true
  const natsOptions = natsOptionsFrom(args)
  if (Object.keys(natsOptions).length > 0) cluster.natsOptions = natsOptions
  return cluster
}

/** A URL as it may be printed: credentials in it (`nats://user:pass@…`, `nats://token@…`) masked. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    else if (parsed.username) parsed.username = '***'
    else return url
    return parsed.toString()
  } catch {
    return url
  }
}

/** The start-up line of a relay that joins a cluster: its name, the NATS servers and the settings. */
export function clusterLine(cluster: ClusterOptions, port: number | null): string {
  const servers = [cluster.nats].flat().map(redactedUrl).join(', ')
  const auth = cluster.natsOptions ?? {}
  const notes = [
    `prefix ${cluster.prefix ?? 'spider-mesh'}`,
    cluster.preferLocal ? 'prefer local' : '',
    auth.user !== undefined ? `NATS user ${auth.user}` : '',
    auth.token !== undefined ? 'NATS token' : '',
    auth.authenticator !== undefined ? 'NATS credentials file' : '',
    auth.tls ? 'NATS TLS CA file' : '',
  ]
  return (
    `Cluster: relay "${cluster.name ?? defaultRelayName(port)}" joins the cluster over NATS at ${servers} ` +
    `(${notes.filter(Boolean).join(', ')})`
  )
}
