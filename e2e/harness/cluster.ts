import type { TestClient } from './client.js'
import { until } from './deadline.js'
import type { ManagedProcess } from './managed-process.js'
import { type NatsServerProcess, startNatsServer } from './nats-server.js'
import { type RelayOptions, type RelayProcess, startRelay } from './processes.js'

/** A nats-server and relays joined to it, all real processes on 127.0.0.1. */
export interface TestCluster {
  nats: NatsServerProcess
  relays: RelayProcess[]
}

/**
 * Starts a nats-server (with JetStream, the store of history, presence and records) and
 * `names.length` relays (`cluster.name` from `names`) on it. `relay` adds options to every relay.
 */
export async function startCluster(
  names: string[],
  options: { preferLocal?: boolean; heartbeatMs?: number; passiveRole?: boolean; jetstream?: boolean } = {},
  relay: Omit<RelayOptions, 'name' | 'nats' | 'clusterName'> = {},
): Promise<TestCluster> {
  const { jetstream = true, ...relayOptions } = options
  const nats = await startNatsServer({ jetstream })
  const relays = await Promise.all(
    names.map((name) =>
      startRelay({ name: `relay ${name}`, nats: nats.url, clusterName: name, ...relayOptions, ...relay }),
    ),
  )
  return { nats, relays }
}

/** Reads a relay's `/health` or `/directory` JSON. */
export async function relayJson<T = Record<string, unknown>>(relay: RelayProcess, path: string): Promise<T> {
  const response = await fetch(`http://127.0.0.1:${relay.port}${path}`)
  return (await response.json()) as T
}

/**
 * Publishes `value` on `topic` until every listener printed `MSG <topic> <json>`: a listener's
 * Subscribe and the publisher's messages race on different connections (and relays), so the
 * first messages may arrive before the subscription did. Bounded by `until`'s deadline.
 */
export function publishUntilHeard(
  publisher: TestClient,
  topic: string,
  value: unknown,
  listeners: ManagedProcess[],
  what = `every listener of ${topic} to hear`,
): Promise<void> {
  const line = `MSG ${topic} ${JSON.stringify(value)}`
  return until(what, async () => {
    publisher.mesh.publish(topic, value)
    await new Promise((r) => setTimeout(r, 50))
    return listeners.every((l) => l.matching(/^MSG /).some((m) => m.input === line))
  })
}
