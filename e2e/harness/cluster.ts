import { type NatsServerProcess, startNatsServer } from './nats-server.js'
import { type RelayProcess, startRelay } from './processes.js'

/** A nats-server and relays joined to it, all real processes on 127.0.0.1. */
export interface TestCluster {
  nats: NatsServerProcess
  relays: RelayProcess[]
}

/** Starts a nats-server and `names.length` relays (`cluster.name` from `names`) on it. */
export async function startCluster(
  names: string[],
  options: { preferLocal?: boolean; heartbeatMs?: number; passiveRole?: boolean } = {},
): Promise<TestCluster> {
  const nats = await startNatsServer()
  const relays = await Promise.all(
    names.map((name) => startRelay({ name: `relay ${name}`, nats: nats.url, clusterName: name, ...options })),
  )
  return { nats, relays }
}

/** Reads a relay's `/health` or `/directory` JSON. */
export async function relayJson<T = Record<string, unknown>>(relay: RelayProcess, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${relay.port}${path}`)
  return (await response.json()) as T
}
