export { assertBuilt } from './built-packages.js'
export { releaseSuite, track, useCleanup } from './cleanup.js'
export { type ClientOptions, startClient, type TestClient } from './client.js'
export { publishUntilHeard, relayJson, startCluster, type TestCluster } from './cluster.js'
export { firstMatching, rejectionOf, until, within } from './deadline.js'
export { ManagedProcess, type OutputLine } from './managed-process.js'
export { type NatsServerOptions, type NatsServerProcess, startNatsServer } from './nats-server.js'
export { installOffline, type PackedTarball, packPackages, runToEnd, writeOfflineApp } from './packed-app.js'
export {
  ADAPTERS,
  type Adapter,
  type RelayProcess,
  relayFromProcess,
  spawn,
  spawnFixture,
  startCaller,
  startProvider,
  startRelay,
} from './processes.js'
export { RawSocket } from './raw-socket.js'
export { connectionRefused, readFirstLine } from './tcp-probe.js'
