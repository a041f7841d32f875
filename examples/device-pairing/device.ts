/**
 * One device of the pairing example (the job of socket.io-p2p-plugin, on the mesh): it connects
 * to a relay under its own node id and serves `Device`. With PEER set, it asks that device to
 * pair, then talks to it through node-pinned calls whose answers are the acknowledgements, and
 * says at once when its peer disconnects.
 *
 *   RELAY_URL=ws://127.0.0.1:8787 DEVICE_ID=phone bun examples/device-pairing/device.ts
 *   RELAY_URL=ws://127.0.0.1:8787 DEVICE_ID=laptop PEER=phone bun examples/device-pairing/device.ts
 *
 * Prints one line per event: READY, PAIRED <peer> | BUSY <peer>, ACK <n> <peer-time> | NO_ACK <n> <code>,
 * GOT <from> <text>, PEER_LEFT <peer>. MESSAGES (default 3) and INTERVAL_MS (default 100) shape
 * the talk; a device without PEER waits to be asked. Stops on SIGINT/SIGTERM.
 */
import { MeshError, Microservice, RemoteServiceLinker, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'
import { filter, first, skipWhile } from 'rxjs'

const env = process.env
const relayUrl = env.RELAY_URL ?? 'ws://127.0.0.1:8787'
const deviceId = env.DEVICE_ID ?? `device-${process.pid}`
const wanted = env.PEER
const messages = Number(env.MESSAGES ?? 3)
const intervalMs = Number(env.INTERVAL_MS ?? 100)

const mesh = new SpiderMesh({ nodeId: deviceId })
const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 1000, reconnectIntervalMs: 200 })
mesh.registerTransporter(transporter)

/** Watches a peer and says once when it is gone (its relay announces the leave at once). */
function watchPeer(peer: string): void {
  const link = RemoteServiceLinker.link<Device>(mesh, { service: 'Device', node_id: peer })
  link
    .watch()
    .pipe(
      // The list starts empty until the relay has told this device about the peer.
      skipWhile((nodes) => nodes.length === 0),
      filter((nodes) => nodes.length === 0),
      first(),
    )
    .subscribe(() => {
      console.log(`PEER_LEFT ${peer}`)
      if (device.peer === peer) device.peer = undefined
    })
}

/** What every device serves: pairing, and messages from its peer (answered with an acknowledgement). */
@Microservice({ name: 'Device' })
class Device {
  peer: string | undefined

  /** Another device asks to pair; the answer is `accepted` or `busy`. */
  pair(from: string): 'accepted' | 'busy' {
    if (this.peer !== undefined && this.peer !== from) return 'busy'
    this.peer = from
    console.log(`PAIRED ${from}`)
    watchPeer(from)
    return 'accepted'
  }

  /** A message from the paired device; the returned acknowledgement is its receipt. */
  message(from: string, text: string): { received: true; at: number } {
    if (from !== this.peer) throw new MeshError('NOT_PAIRED', `${deviceId} is not paired with ${from}`)
    console.log(`GOT ${from} ${text}`)
    return { received: true, at: Date.now() }
  }
}

const device = new Device()
await mesh.provide(device)
transporter.connect(relayUrl)
console.log(`READY ${deviceId}`)

if (wanted) {
  const peer = RemoteServiceLinker.link<Device>(mesh, { service: 'Device', node_id: wanted, timeout: 5000 })
  await peer.wait({ timeout: 10_000 })
  const answer = await peer.pair(deviceId)
  if (answer === 'busy') {
    console.log(`BUSY ${wanted}`)
  } else {
    device.peer = wanted
    console.log(`PAIRED ${wanted}`)
    watchPeer(wanted)
    for (let n = 1; n <= messages && device.peer === wanted; n++) {
      try {
        const ack = await peer.message(deviceId, `hello ${n}`)
        console.log(`ACK ${n} ${ack.at}`)
      } catch (err) {
        // No acknowledgement: the message may not have arrived (the peer left, or unpaired).
        console.log(`NO_ACK ${n} ${(err as MeshError).code}`)
        break
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs))
    }
  }
}

const stop = async () => {
  await mesh.close()
  await transporter.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
