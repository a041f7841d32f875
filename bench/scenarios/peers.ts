import { existsSync } from 'node:fs'
import type { BenchSettings } from '../results.js'
import type { UnarySystem } from './unary.js'

const benchDir = new URL('..', import.meta.url).pathname

/** Installs the peers (bench/package.json) into bench/node_modules when they are missing. */
export function ensurePeersInstalled(settings: BenchSettings): void {
  const needed = ['socket.io', 'socket.io-client', 'moleculer']
  if (needed.every((name) => existsSync(`${benchDir}node_modules/${name}/package.json`))) return
  settings.log('installing the peers: npm --prefix bench install --no-audit --no-fund')
  const done = Bun.spawnSync(['npm', '--prefix', benchDir, 'install', '--no-audit', '--no-fund'], {
    stdout: 'inherit',
    stderr: 'inherit',
  })
  if (done.exitCode !== 0) throw new Error(`npm install in ${benchDir} failed (exit ${done.exitCode})`)
}

/** Socket.IO: a server relaying each caller's `call` to the provider socket, acks both ways. */
export const socketioSystem: UnarySystem = {
  name: 'socketio',
  async setup(spawn) {
    const relay = spawn({ name: 'socket.io relay', script: 'processes/socketio-relay.ts' })
    const url = (await relay.waitFor(/listening on (ws:\/\/\S+)/, 15_000))[1]!
    const provider = spawn({
      name: 'socket.io provider',
      script: 'processes/socketio-provider.ts',
      env: { RELAY_URL: url },
    })
    await provider.waitFor(/^READY/, 15_000)
    return {
      caller: (env) => ({
        name: `socket.io caller @${env.INFLIGHT}`,
        script: 'processes/socketio-caller.ts',
        env: { ...env, RELAY_URL: url },
      }),
      path: { relay, provider },
    }
  },
}

/** Moleculer: two brokers on the TCP transporter. No relay: the brokers talk to each other directly. */
export const moleculerSystem: UnarySystem = {
  name: 'moleculer-tcp',
  async setup(spawn) {
    const provider = spawn({ name: 'moleculer provider', script: 'processes/moleculer-provider.ts' })
    const port = (await provider.waitFor(/^READY (\d+)/, 15_000))[1]!
    return {
      caller: (env) => ({
        name: `moleculer caller @${env.INFLIGHT}`,
        script: 'processes/moleculer-caller.ts',
        env: { ...env, PROVIDER_PORT: port },
      }),
      path: { provider },
    }
  },
}
