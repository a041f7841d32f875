import { hostname } from 'node:os'
import type { NodeConnectionOptions } from '@nats-io/transport-node'
import { ErrorCode, MeshError } from '@spider-mesh/core'

/** The relay's `cluster` option: relays that share a NATS server (or cluster) act as one mesh. */
export interface ClusterOptions {
  /** NATS server URL(s), e.g. `'nats://127.0.0.1:4222'`. */
  nats: string | string[]
  /** This relay's name in logs, `/directory` and `spider-mesh ls`. Default `<hostname>:<port>`. */
  name?: string
  /** Subject prefix; relays with different prefixes on one NATS are separate clusters. Default `'spider-mesh'`. */
  prefix?: string
  /** Service calls go to providers on this relay while there is one, and to those on other relays otherwise. Default `false`. */
  preferLocal?: boolean
  /** Passed to the NATS client as they are: `user`/`pass`, `token`, `authenticator`, `tls`, … */
  natsOptions?: Partial<NodeConnectionOptions>
}

/** Cluster options after validation, with defaults applied. */
export interface ResolvedClusterOptions {
  servers: string[]
  name: string | undefined
  prefix: string
  preferLocal: boolean
  natsOptions: Partial<NodeConnectionOptions>
}

/** Validates the `cluster` option; throws INVALID_OPTION with what was wrong. */
export function resolveClusterOptions(cluster: ClusterOptions): ResolvedClusterOptions {
  const fail = (message: string): never => {
    throw new MeshError(ErrorCode.INVALID_OPTION, `cluster: ${message}`)
  }
  if (cluster === null || typeof cluster !== 'object')
    fail(`must be an object like { nats: 'nats://127.0.0.1:4222' }, got ${JSON.stringify(cluster)}`)
  const servers = [cluster.nats].flat()
  if (
    servers.length === 0 ||
    !servers.every((url) => typeof url === 'string' && /^(nats|tls|wss?):\/\/./.test(url))
  ) {
    fail(`nats must be a nats:// URL or a list of them, got ${JSON.stringify(cluster.nats)}`)
  }
  if (
    cluster.name !== undefined &&
    (typeof cluster.name !== 'string' || cluster.name === '' || cluster.name.length > 128)
  ) {
    fail(`name must be a non-empty string of at most 128 characters, got ${JSON.stringify(cluster.name)}`)
  }
  if (cluster.preferLocal !== undefined && typeof cluster.preferLocal !== 'boolean') {
    fail(`preferLocal must be true or false, got ${JSON.stringify(cluster.preferLocal)}`)
  }
  return {
    servers,
    name: cluster.name,
    prefix: validPrefix(cluster.prefix ?? 'spider-mesh'),
    preferLocal: cluster.preferLocal ?? false,
    natsOptions: cluster.natsOptions ?? {},
  }
}

/** The default relay name: the host and the port it listens on. */
export function defaultRelayName(port: number | null): string {
  return `${hostname()}:${port ?? 0}`
}

/** Checks a subject prefix: dot-separated tokens without wildcards or whitespace. */
export function validPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !/^[^.*>\s]+(\.[^.*>\s]+)*$/.test(prefix)) {
    throw new MeshError(
      ErrorCode.INVALID_OPTION,
      `cluster.prefix must be NATS subject tokens separated by dots, without '*', '>' or spaces; got ${JSON.stringify(prefix)}`,
    )
  }
  return prefix
}
