import { startRelay, useCleanup } from '../harness/index.js'
import { adapterSuite } from './adapter-suite.js'

useCleanup()

adapterSuite('@spider-mesh/socket.io: three Socket.IO servers on one relay', async () => {
  const relay = await startRelay()
  return { servers: [relay.url, relay.url, relay.url], extra: relay.url }
})
