import { type ManagedProcess, relayFromProcess, spawnFixture } from '../harness/index.js'

/** Options of {@link SoakCast}. */
export interface SoakCastOptions {
  adapter: 'bun' | 'node'
  /** Inactivity timeout of every call the callers make. */
  callTimeoutMs: number
  /** Seed for the callers' call mix. */
  seed: number
}

/**
 * Every process of a soak, with every incarnation of each: a relay on one port, providers and
 * callers by node id. Restarted processes keep their node id (and the relay its port), as they
 * would in production; old incarnations are kept so their output can be checked at the end.
 */
export class SoakCast {
  readonly #options: SoakCastOptions
  readonly relays: ManagedProcess[] = []
  readonly providers = new Map<string, ManagedProcess[]>()
  readonly callers = new Map<string, ManagedProcess[]>()
  port = 0

  constructor(options: SoakCastOptions) {
    this.#options = options
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`
  }

  get relay(): ManagedProcess {
    return this.relays[this.relays.length - 1]!
  }

  /** The live incarnation of a provider or caller. */
  current(map: Map<string, ManagedProcess[]>, id: string): ManagedProcess {
    const list = map.get(id)!
    return list[list.length - 1]!
  }

  /** Every incarnation of every process. */
  all(): ManagedProcess[] {
    return [...this.relays, ...[...this.providers.values()].flat(), ...[...this.callers.values()].flat()]
  }

  /** Starts (or restarts, on the same port) the relay and resolves when it listens. */
  async startRelay(): Promise<{ proc: ManagedProcess; readyAt: number }> {
    const proc = spawnFixture(`relay#${this.relays.length}`, 'guarded.ts', {
      FIXTURE: 'relay.ts',
      PORT: String(this.port),
      RELAY_ADAPTER: this.#options.adapter,
      HEARTBEAT_MS: '500',
    })
    this.relays.push(proc)
    const relay = await relayFromProcess(proc)
    this.port = relay.port
    return { proc, readyAt: Date.now() }
  }

  /** Starts (or restarts) a provider of Matrix and resolves once it is connected. */
  async startProvider(id: string): Promise<ManagedProcess> {
    const list = this.providers.get(id) ?? []
    this.providers.set(id, list)
    const proc = spawnFixture(`provider ${id}#${list.length}`, 'guarded.ts', {
      FIXTURE: 'provider.ts',
      RELAY_URL: this.url,
      NODE_ID: id,
      HEARTBEAT_MS: '500',
      RECONNECT_MS: '100',
    })
    list.push(proc)
    await proc.waitForLine(new RegExp(`^READY ${id}$`), { timeoutMs: 15_000 })
    return proc
  }

  /** Starts (or restarts) a caller and resolves once it is connected. */
  async startCaller(id: string): Promise<ManagedProcess> {
    const list = this.callers.get(id) ?? []
    this.callers.set(id, list)
    const proc = spawnFixture(`caller ${id}#${list.length}`, 'soak-caller.ts', {
      RELAY_URL: this.url,
      NODE_ID: id,
      LANES: '3',
      TIMEOUT_MS: String(this.#options.callTimeoutMs),
      SEED: String((this.#options.seed + list.length * 7919 + id.length) >>> 0),
    })
    list.push(proc)
    await proc.waitForLine(/^STATUS connected \d+$/, { timeoutMs: 15_000 })
    return proc
  }

  /**
   * Stops a caller gracefully: it starts no new call and lets every call in flight end, then prints
   * DRAINED (or UNFINISHED with the ids of calls that never ended).
   */
  async drainCaller(
    proc: ManagedProcess,
  ): Promise<{ started: number; finished: number; unfinished: string }> {
    proc.kill('SIGTERM')
    const line = await proc.waitForLine(/^(?:DRAINED (\d+) (\d+)|UNFINISHED (.*))$/, {
      timeoutMs: this.#options.callTimeoutMs + 15_000,
    })
    await proc.exited
    if (line[3] !== undefined) return { started: Number.NaN, finished: Number.NaN, unfinished: line[3] }
    return { started: Number(line[1]), finished: Number(line[2]), unfinished: '' }
  }
}
