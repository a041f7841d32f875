import { track } from './cleanup.js'
import { ManagedProcess } from './managed-process.js'

/** The relay socket libraries; the core scenarios run under both. */
export const ADAPTERS = ['bun', 'node'] as const
export type Adapter = (typeof ADAPTERS)[number]

const fixtures = new URL('../fixtures/', import.meta.url).pathname
const LISTENING = /Spider Mesh relay listening on (ws:\/\/[^\s:]+:(\d+)\S*)/

/** The JavaScript runtime of a child process: this Bun, or plain Node for the built packages. */
export type Runtime = 'bun' | 'node'

/** Starts a tracked process: it is stopped after the test (or the describe) that started it. */
export function spawn(
  name: string,
  cmd: string[],
  env: Record<string, string | undefined> = {},
): ManagedProcess {
  const proc = new ManagedProcess({ name, cmd, env })
  track(name, () => proc.stop())
  return proc
}

/** Runs a fixture script under Bun (`.ts`) or Node (`node/*.mjs`). */
export function spawnFixture(
  name: string,
  file: string,
  env: Record<string, string | undefined>,
  runtime: Runtime = 'bun',
) {
  const cmd = runtime === 'bun' ? [process.execPath, `${fixtures}${file}`] : ['node', `${fixtures}${file}`]
  return spawn(name, cmd, env)
}

/** Options of {@link startRelay}. */
export interface RelayOptions {
  adapter?: Adapter
  /** The relay's ping interval; a silent peer is dropped after 2.5 of them. */
  heartbeatMs?: number
  /** Reuse a port (relay restarts); default ephemeral. */
  port?: number
  /** Connections whose URL contains `role=passive` become passive clients (isServerConnection). */
  passiveRole?: boolean
  name?: string
  /** Joins the relay to a cluster over this NATS URL (its `cluster.nats` option). */
  nats?: string
  /** The relay's name in the cluster. */
  clusterName?: string
  /** The cluster's `preferLocal`. */
  preferLocal?: boolean
  /** More environment for e2e/fixtures/relay.ts (ACCESS_JSON, AUTH_TOKENS, …). */
  env?: Record<string, string | undefined>
}

/** A relay process and how to reach it. */
export interface RelayProcess {
  proc: ManagedProcess
  port: number
  url: string
  /** Reads the relay's routing table sizes. */
  stats(): Promise<{ connections: number; nodes: number; pending: number; subscriptions: number }>
}

/** Starts `e2e/fixtures/relay.ts` (the public `WebsocketRelayServer`) and waits for its listening line. */
export async function startRelay(options: RelayOptions = {}): Promise<RelayProcess> {
  const adapter = options.adapter ?? 'bun'
  const proc = spawnFixture(options.name ?? `relay-${adapter}`, 'relay.ts', {
    PORT: String(options.port ?? 0),
    HOST: '127.0.0.1',
    RELAY_ADAPTER: adapter,
    HEARTBEAT_MS: options.heartbeatMs === undefined ? undefined : String(options.heartbeatMs),
    PASSIVE_ROLE: options.passiveRole ? '1' : undefined,
    NATS_URL: options.nats,
    CLUSTER_NAME: options.clusterName,
    PREFER_LOCAL: options.preferLocal ? '1' : undefined,
    ...options.env,
  })
  return relayFromProcess(proc)
}

/** Waits for a relay process's listening line and reads its port from it. */
export async function relayFromProcess(proc: ManagedProcess, timeoutMs = 10_000): Promise<RelayProcess> {
  const match = await proc.waitForLine(LISTENING, { timeoutMs })
  const port = Number(match[2])
  return {
    proc,
    port,
    url: `ws://127.0.0.1:${port}`,
    async stats() {
      const from = proc.mark()
      proc.write('STATS')
      const line = await proc.waitForLine(/^STATS (.*)$/, { from, timeoutMs: 5000 })
      return JSON.parse(line[1]!)
    },
  }
}

/** Options of {@link startProvider}. */
export interface ProviderOptions {
  relayUrl: string | string[]
  nodeId: string
  /** Services to serve, from `e2e/fixtures/services.ts`. Default `['Matrix']`. */
  services?: string[]
  heartbeatMs?: number
  reconnectMs?: number
  runtime?: Runtime
}

/** Starts a provider process and waits until it is connected to every relay (`READY <nodeId>`). */
export async function startProvider(options: ProviderOptions): Promise<ManagedProcess> {
  const runtime = options.runtime ?? 'bun'
  const proc = spawnFixture(
    `provider ${options.nodeId}`,
    runtime === 'bun' ? 'provider.ts' : 'node/provider.mjs',
    {
      RELAY_URL: [options.relayUrl].flat().join(','),
      NODE_ID: options.nodeId,
      SERVICES: (options.services ?? ['Matrix']).join(','),
      HEARTBEAT_MS: options.heartbeatMs === undefined ? undefined : String(options.heartbeatMs),
      RECONNECT_MS: options.reconnectMs === undefined ? undefined : String(options.reconnectMs),
    },
    runtime,
  )
  await proc.waitForLine(new RegExp(`^READY ${options.nodeId}$`))
  return proc
}

/** Options of {@link startCaller}. */
export interface CallerOptions {
  relayUrl: string
  nodeId: string
  service?: string
  method: string
  args?: unknown[]
  /** `subscribe` prints every value; `await` prints the awaited one. Default `subscribe`. */
  mode?: 'subscribe' | 'await'
  /** Inactivity timeout of the call. */
  timeoutMs?: number
}

/**
 * Starts a caller process: it connects, waits for a provider, makes one call and prints
 * `VALUE <json>` per value, then `COMPLETE` or `ERROR <code> <message>`. Not awaited: read its lines.
 */
export function startCaller(options: CallerOptions): ManagedProcess {
  return spawnFixture(`caller ${options.nodeId}`, 'caller.ts', {
    RELAY_URL: options.relayUrl,
    NODE_ID: options.nodeId,
    SERVICE: options.service ?? 'Matrix',
    METHOD: options.method,
    ARGS: JSON.stringify(options.args ?? []),
    MODE: options.mode ?? 'subscribe',
    TIMEOUT_MS: options.timeoutMs === undefined ? undefined : String(options.timeoutMs),
  })
}
