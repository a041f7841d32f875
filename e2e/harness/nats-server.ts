import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { track } from './cleanup.js'
import { until } from './deadline.js'
import { ManagedProcess } from './managed-process.js'
import { readFirstLine } from './tcp-probe.js'

/** A real nats-server on 127.0.0.1, stopped after the test (or the describe) that started it. */
export interface NatsServerProcess {
  /** `nats://127.0.0.1:<port>`; stays valid across {@link restart}. */
  url: string
  port: number
  /** The pid of the current nats-server process (a new one after {@link restart}). */
  pid: number
  /** Stops the server (SIGTERM, SIGKILL after a grace period) and removes its temp dir. */
  stop(): Promise<void>
  /** SIGKILL: how tests simulate a crashed broker. */
  kill(): void
  /** Starts it again on the same port after kill/stop, so clients holding the URL reconnect. */
  restart(): Promise<void>
}

/** Options of {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Shown in failure messages. Default `nats-server`. */
  name?: string
  /**
   * Runs JetStream (`-js`, its store in the server's temp dir, kept across restarts): the shared
   * store of the relay's topic history, presence and records in a cluster. Default false.
   */
  jetstream?: boolean
}

const NOT_INSTALLED =
  'nats-server is not installed: run `apt-get install nats-server` (Debian) or put the nats-server ' +
  'binary on PATH; `npm test` installs it itself when run as root.'
/** How long a start or restart may take until the server greets a client. */
const READY_MS = 10_000
/** Per probe: a listening nats-server sends INFO at once, so a silent port is not it (yet). */
const PROBE_MS = 500
/** A restart races the dying server for the port; a few short retries cover that. */
const RESTART_ATTEMPTS = 20
const RESTART_RETRY_MS = 50

// Debian installs it to /usr/sbin, which a non-root PATH often lacks.
const SEARCH_PATH = [process.env.PATH, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin']
  .filter(Boolean)
  .join(':')
let binary: string | undefined

/** The absolute path of nats-server, resolved once; throws how to install it when it is missing. */
function natsServerBinary(): string {
  binary ??= Bun.which('nats-server', { PATH: SEARCH_PATH }) ?? undefined
  if (!binary) throw new Error(NOT_INSTALLED)
  return binary
}

/** Throws with the process's output once it has exited, so waits fail with the reason, not a timeout. */
async function assertRunning(proc: ManagedProcess, what: string): Promise<void> {
  if (proc.alive) return
  const code = await proc.exited
  throw new Error(
    `${proc.name} (pid ${proc.pid}) exited (${code === null ? 'signal' : `code ${code}`}) before ${what}. ` +
      `Output:\n${proc.output() || '  (nothing)'}`,
  )
}

/** Adds the process's output to a timeout, which otherwise says only what was awaited. */
async function withOutput<T>(proc: ManagedProcess, wait: Promise<T>): Promise<T> {
  try {
    return await wait
  } catch (err) {
    const message = (err as Error).message
    if (message.includes('Output:')) throw err
    throw new Error(`${message}. ${proc.name} (pid ${proc.pid}) output:\n${proc.output() || '  (nothing)'}`)
  }
}

/** The client port in a ports file, or 0 while it is absent or half written. */
function portFromFile(file: string): number {
  let ports: { nats?: string[]; client?: string[] }
  try {
    ports = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return 0
  }
  // v2.9 names the client URLs `nats`; `client` is accepted in case a release renames them.
  const url = ports.nats?.[0] ?? ports.client?.[0]
  return url ? Number(new URL(url).port) : 0
}

/** Waits until nats-server writes `<dir>/nats-server_<pid>.ports` and returns the client port in it. */
function readPort(proc: ManagedProcess, dir: string, ms: number): Promise<number> {
  const file = join(dir, `nats-server_${proc.pid}.ports`)
  let port = 0
  const what = `${proc.name} to write its ports file ${file}`
  const found = until(
    what,
    async () => {
      await assertRunning(proc, 'writing its ports file')
      port = portFromFile(file)
      return port > 0
    },
    ms,
  )
  return withOutput(
    proc,
    found.then(() => port),
  )
}

/** Waits until a TCP client on the port gets the server's `INFO ` line: then it accepts clients. */
function waitReady(proc: ManagedProcess, port: number, ms: number): Promise<void> {
  const ready = until(
    `${proc.name} to send INFO on 127.0.0.1:${port}`,
    async () => {
      await assertRunning(proc, `listening on 127.0.0.1:${port}`)
      // Something else may hold the port and stay silent: an exit must not wait for the probe.
      const line = await Promise.race([
        readFirstLine(port, PROBE_MS).catch(() => ''),
        proc.exited.then(() => ''),
      ])
      return line.startsWith('INFO ')
    },
    Math.max(ms, 0),
  )
  return withOutput(proc, ready)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** One server across restarts: a new process each time, on the port the first one got. */
class NatsServer implements NatsServerProcess {
  port = 0
  url = ''
  readonly #name: string
  readonly #binary: string
  #proc: ManagedProcess | undefined
  #dir: string | undefined
  readonly #untrack: () => void
  readonly #jetstream: boolean

  constructor(name: string, binaryPath: string, jetstream: boolean) {
    this.#name = name
    this.#binary = binaryPath
    this.#jetstream = jetstream
    // Tracked once for the whole server, not per process: a restart inside a test must not tie a
    // server started in `beforeAll` to that test's teardown.
    this.#untrack = track(name, () => this.stop())
  }

  get pid(): number {
    return this.#proc?.pid ?? 0
  }

  /** First start: an ephemeral port, learnt from the ports file nats-server writes. */
  async start(): Promise<void> {
    const deadline = Date.now() + READY_MS
    try {
      this.#dir = mkdtempSync(join(tmpdir(), 'spider-mesh-nats-'))
      const proc = this.#launch(['-p', '-1', '--ports_file_dir', this.#dir])
      this.port = await readPort(proc, this.#dir, READY_MS)
      this.url = `nats://127.0.0.1:${this.port}`
      await waitReady(proc, this.port, deadline - Date.now())
    } catch (err) {
      await this.stop()
      this.#untrack()
      throw err
    }
  }

  async stop(): Promise<void> {
    await this.#proc?.stop()
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true })
    this.#dir = undefined
  }

  kill(): void {
    this.#proc?.kill('SIGKILL')
  }

  async restart(): Promise<void> {
    // After kill() the old process may not be reaped yet; stop() waits until it is gone.
    await this.#proc?.stop()
    const deadline = Date.now() + READY_MS
    let lastError: unknown
    for (let attempt = 1; attempt <= RESTART_ATTEMPTS && Date.now() < deadline; attempt++) {
      const proc = this.#launch(['-p', String(this.port)])
      try {
        await waitReady(proc, this.port, deadline - Date.now())
        return
      } catch (err) {
        lastError = err
        await proc.stop()
        // Only a port still held (TIME_WAIT, the old socket closing) is worth another try.
        if (!proc.lines.some((line) => /address already in use/i.test(line.text))) throw err
        await sleep(RESTART_RETRY_MS)
      }
    }
    throw lastError ?? new Error(`${this.#name} could not restart on port ${this.port} within ${READY_MS} ms`)
  }

  #launch(portArgs: string[]): ManagedProcess {
    const store = this.#jetstream && this.#dir ? ['-js', '-sd', join(this.#dir, 'jetstream')] : []
    this.#proc = new ManagedProcess({
      name: this.#name,
      cmd: [this.#binary, '-a', '127.0.0.1', ...portArgs, ...store],
    })
    return this.#proc
  }
}

/** Starts a nats-server on an ephemeral 127.0.0.1 port and waits until it accepts clients. */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
  const server = new NatsServer(options.name ?? 'nats-server', natsServerBinary(), options.jetstream ?? false)
  await server.start()
  return server
}
