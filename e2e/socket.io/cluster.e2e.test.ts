import { startCluster, useCleanup } from '../harness/index.js'
import { adapterSuite } from './adapter-suite.js'

useCleanup()

adapterSuite(
  '@spider-mesh/socket.io: three Socket.IO servers on three relays of a NATS cluster',
  async () => {
    const { relays } = await startCluster(['A', 'B', 'C'])
    const [a, b, c] = relays.map((r) => r.url) as [string, string, string]
    return { servers: [a, b, c], extra: b }
  },
)
