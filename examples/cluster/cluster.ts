/**
 * Three relays joined over NATS act as one mesh: a provider connected to relay-1 serves a caller
 * connected to relay-3, which has no provider of its own. Everything runs in this one process on
 * ephemeral ports, prints what happened, closes and exits. Start nats-server first (README.md);
 * NATS_URL defaults to nats://127.0.0.1:4222.
 */
import { Microservice, RemoteServiceLinker, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { WebsocketRelayServer } from '@spider-mesh/ws/relay-server'
import { filter, firstValueFrom, timeout } from 'rxjs'

const nats = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

// `cluster` is all a relay needs to join: relays on the same NATS (and prefix) serve one mesh.
const relays = ['relay-1', 'relay-2', 'relay-3'].map(
  (name) => new WebsocketRelayServer({ host: '127.0.0.1', port: 0, cluster: { nats, name } }),
)
await Promise.all(relays.map((relay) => relay.ready))
const url = (relay: WebsocketRelayServer) => `ws://127.0.0.1:${relay.port}`

/** A relay's `/health`: `cluster.relays` counts the relays it hears, itself included. */
async function health(relay: WebsocketRelayServer): Promise<{ cluster?: { state: string; relays: number } }> {
  const response = await fetch(`http://127.0.0.1:${relay.port}/health`)
  return (await response.json()) as { cluster?: { state: string; relays: number } }
}

/**
 * Relays join NATS in the background and never wait for it (without NATS each one serves its
 * own nodes only), so wait, for at most 5 s, until every relay hears all three.
 */
async function waitForCluster(): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const states = await Promise.all(relays.map(health))
    if (states.every((h) => h.cluster?.state === 'connected' && h.cluster.relays === relays.length))
      return true
    await Bun.sleep(100)
  }
  return false
}

/** A node (its own mesh and transporter) connected to one relay. */
async function node(nodeId: string, relay: WebsocketRelayServer) {
  const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 5000 })
  const mesh = new SpiderMesh({ nodeId, logger: silentLogger })
  mesh.registerTransporter(transporter)
  transporter.connect(url(relay))
  await firstValueFrom(
    transporter.status$.pipe(
      filter((status) => status.get(url(relay)) === 'connected'),
      timeout(5000),
    ),
  )
  return { mesh, transporter }
}

@Microservice()
class GreetingService {
  async hello(name: string) {
    return `hello ${name}, from the provider on relay-1`
  }
}

const nodes: Awaited<ReturnType<typeof node>>[] = []
let joined = false
try {
  joined = await waitForCluster()
  if (!joined) {
    const states = await Promise.all(relays.map(health))
    throw new Error(
      `the relays did not form a cluster over ${nats} within 5 s (NATS state: ${states.map((h) => h.cluster?.state).join(', ')}). ` +
        'Is nats-server running? Start it with `nats-server -a 127.0.0.1 -p 4222`, or set NATS_URL.',
    )
  }
  console.log(`3 relays on ${nats}: ${relays.map(url).join(', ')}`)

  const provider = await node('provider', relays[0]!)
  nodes.push(provider)
  await provider.mesh.provide(new GreetingService())

  const caller = await node('caller', relays[2]!)
  nodes.push(caller)
  const greeter = RemoteServiceLinker.link<GreetingService>(caller.mesh, {
    service: 'GreetingService',
    timeout: 5000,
  })
  // relay-3 learns relay-1's provider from the cluster directory (a delta over NATS).
  await greeter.wait({ timeout: 10_000 })
  const seen = (await (await fetch(`http://127.0.0.1:${relays[2]!.port}/directory`)).json()) as {
    nodes: { node_id: string; relay: string }[]
  }
  const listed = seen.nodes.find((n) => n.node_id === 'provider')
  console.log(`relay-3 lists node "provider" on ${listed?.relay ?? '?'}`)

  console.log(`caller on relay-3 -> ${await greeter.hello('world')}`)
} catch (err) {
  const e = err as { code?: string; message: string }
  console.error(`cluster example failed: ${e.code ?? 'ERROR'} ${e.message}`)
  process.exitCode = 1
} finally {
  for (const { mesh, transporter } of nodes) {
    await mesh.close()
    await transporter.close()
  }
  // Closing says Bye on NATS: the other relays forget this relay's nodes at once.
  await Promise.all(relays.map((relay) => relay.close({ drainTimeoutMs: 0 })))
  console.log('closed')
}
