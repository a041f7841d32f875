/**
 * A nats-server for the cluster scenario: started by the bench on 127.0.0.1 and an ephemeral
 * port, stopped by its pid with the scenario's other children (`withChildren`), also on error.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Child } from './child.js'
import type { Spawn } from './scenarios/relays.js'
import { findServerBinary, SEARCH_PATH } from './server-binary.js'

/** A running nats-server and the URL relays connect to. */
export interface RunningNats {
  child: Child
  url: string
  /** Removes the ports-file directory; call after the server is stopped. */
  cleanup(): void
}

/** The first line is what the table's FAILED row shows, so it says what to do. */
export const NATS_MISSING =
  'nats-server is not installed: the cluster scenario needs it (Debian/Ubuntu: `sudo apt-get install nats-server`; ' +
  'macOS: `brew install nats-server`; or put a release binary from https://github.com/nats-io/nats-server/releases ' +
  'on PATH, or set NATS_SERVER=/path/to/nats-server). Skip the scenario with --only unary,stream,pubsub,idle.'

/** The nats-server binary: NATS_SERVER, or the first one on PATH and the usual sbin folders. */
export function findNatsServer(): string {
  return findServerBinary('nats-server', 'NATS_SERVER', NATS_MISSING)
}

/** The client port in nats-server's ports file, or 0 while it is absent or half written. */
export function portFromPortsFile(text: string): number {
  try {
    const ports = JSON.parse(text) as { nats?: string[] }
    const url = ports.nats?.[0]
    return url ? Number(new URL(url).port) : 0
  } catch {
    return 0
  }
}

/** How long nats-server may take to write its ports file (it does so once it listens). */
const READY_MS = 10_000
const POLL_MS = 50

/**
 * Starts nats-server (`-p -1`: the kernel picks the port; nats-server writes it to
 * `<dir>/nats-server_<pid>.ports` once its listener is up, so no guessed port can collide).
 * Under `setpriv --pdeathsig KILL` when available: setpriv execs nats-server (same pid) with a
 * parent-death signal, so even a SIGKILLed bench, whose exit handlers never run, leaves no
 * server behind. Without setpriv (macOS) the bench's exit and signal handlers still kill it.
 */
export async function startNatsServer(
  spawn: Spawn,
  { jetstream = false }: { jetstream?: boolean } = {},
): Promise<RunningNats> {
  const binary = findNatsServer()
  const dir = mkdtempSync(join(tmpdir(), 'spider-mesh-bench-nats-'))
  // Also on exit: a signal ends the bench (run.ts) without unwinding to the scenario's finally.
  const cleanup = () => {
    process.off('exit', cleanup)
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', cleanup)
  const setpriv = Bun.which('setpriv', { PATH: SEARCH_PATH })
  const server = [binary, '-a', '127.0.0.1', '-p', '-1', '--ports_file_dir', dir]
  // JetStream (presence, history and records in a cluster) stores under the same temporary folder.
  if (jetstream) server.push('-js', '-sd', join(dir, 'jetstream'))
  const child = spawn({
    name: 'nats-server',
    command: setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', ...server] : server,
  })
  let exited = false
  void child.exited.then(() => {
    exited = true
  })
  const file = join(dir, `nats-server_${child.pid}.ports`)
  for (let waited = 0; waited < READY_MS; waited += POLL_MS) {
    if (exited) {
      cleanup()
      const tail = child.stderrTail().join('\n')
      throw new Error(`nats-server (${binary}) exited at start${tail ? `:\n${tail}` : ''}`)
    }
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {}
    const port = portFromPortsFile(text)
    if (port > 0) return { child, url: `nats://127.0.0.1:${port}`, cleanup }
    await Bun.sleep(POLL_MS)
  }
  cleanup()
  throw new Error(`nats-server (pid ${child.pid}) did not write ${file} within ${READY_MS} ms`)
}
