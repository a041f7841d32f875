/**
 * A redis-server for the socketio-adapter scenario: started by the bench on 127.0.0.1 with no
 * persistence (`--save '' --appendonly no`), stopped by its pid with the scenario's other children.
 */
import { createServer } from 'node:net'
import type { Child } from './child.js'
import type { Spawn } from './scenarios/relays.js'
import { findServerBinary, SEARCH_PATH } from './server-binary.js'

/** The first line is what the table's FAILED row shows, so it says what to do. */
export const REDIS_MISSING =
  'redis-server is not installed: the socketio-adapter scenario compares with @socket.io/redis-adapter and needs it ' +
  '(Debian/Ubuntu: `sudo apt-get install -y redis-server`; macOS: `brew install redis`; or set ' +
  'REDIS_SERVER=/path/to/redis-server). Skip the scenario by leaving socketio-adapter out of --only.'

/** A running redis-server and the URL clients connect to. */
export interface RunningRedis {
  child: Child
  url: string
}

/** A port the kernel just handed out: redis-server has no "pick one" (`--port 0` turns TCP off). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Starts redis-server on a free port, under `setpriv --pdeathsig KILL` when available (as the
 * nats-server of the cluster scenario: even a SIGKILLed bench leaves no server behind).
 */
export async function startRedisServer(spawn: Spawn): Promise<RunningRedis> {
  const binary = findServerBinary('redis-server', 'REDIS_SERVER', REDIS_MISSING)
  const port = await freePort()
  const setpriv = Bun.which('setpriv', { PATH: SEARCH_PATH })
  const server = [binary, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn({
    name: 'redis-server',
    command: setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...server] : server,
  })
  await child.waitFor(/Ready to accept connections/, 10_000)
  return { child, url: `redis://127.0.0.1:${port}` }
}
