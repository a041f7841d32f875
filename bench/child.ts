import type { Subprocess } from 'bun'
import { pinnedArgv } from './cpu-pinning.js'
import { nodeScriptPath } from './node-scripts.js'

/** Options of {@link Child}. */
export interface ChildOptions {
  /** Shown in errors and progress. */
  name: string
  /** The script to run with the current runtime, relative to bench/. */
  script?: string
  /**
   * Or an executable that is not a bench script (nats-server): run as given, without the runtime
   * or a profile. It gets no lifeline; whoever builds the command arranges for it to die with us.
   */
  command?: string[]
  env?: Record<string, string | number>
  /**
   * `node` runs the script's Node bundle (node-scripts.ts: `prepareNodeScripts()` first) under
   * real Node.js, with `--expose-gc` for the relay's forced collections. Default: Bun.
   */
  runtime?: 'bun' | 'node'
  /** Raise the soft open-files limit to this before starting (for the idle-connection scenario). */
  openFiles?: number
}

const benchDir = new URL('.', import.meta.url).pathname
const live = new Set<Child>()

/**
 * A bench child process (Bun runs `bench/<script>`) whose stdout is read line by line. It gets a
 * stdin pipe and BENCH_PARENT_PID, so it exits when the bench goes away; {@link killAll} ends the
 * ones still running.
 */
export class Child {
  readonly name: string
  readonly lines: string[] = []
  readonly exited: Promise<number>
  readonly #proc: Subprocess<'pipe', 'pipe', 'pipe'>
  readonly #stderr: string[] = []
  #waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []

  constructor(options: ChildOptions) {
    this.name = options.name
    // BENCH_PROFILE_DIR (set by `run.ts --profile`) makes every child write a CPU profile on exit.
    const profileDir = process.env.BENCH_PROFILE_DIR
    const profile = profileDir
      ? [
          '--cpu-prof-md',
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-name=${slug(options.name)}-${Date.now()}.md`,
        ]
      : []
    const cmd =
      options.command ??
      (options.runtime === 'node'
        ? ['node', '--expose-gc', nodeScriptPath(options.script!)]
        : [process.execPath, ...profile, `${benchDir}${options.script}`])
    // `exec` keeps the pid, so /proc/<pid> is the runtime's own and kill() reaches it (taskset,
    // under BENCH_CPUS, execs too).
    const pinned = pinnedArgv(cmd)
    const argv = options.openFiles
      ? ['sh', '-c', `ulimit -n ${options.openFiles} && exec "$@"`, 'sh', ...pinned]
      : pinned
    const env: Record<string, string> = { ...(process.env as Record<string, string>) }
    for (const [k, v] of Object.entries(options.env ?? {})) env[k] = String(v)
    env.BENCH_PARENT_PID = String(process.pid)
    this.#proc = Bun.spawn(argv, { cwd: benchDir, env, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' })
    live.add(this)
    const reading = Promise.all([
      this.#read(this.#proc.stdout, (line) => this.#line(line)),
      this.#read(this.#proc.stderr, (line) => {
        this.#stderr.push(line)
        if (this.#stderr.length > 200) this.#stderr.shift()
      }),
    ])
    this.exited = this.#proc.exited.then(async (code) => {
      live.delete(this)
      await reading
      return code
    })
  }

  get pid(): number {
    return this.#proc.pid
  }

  /**
   * Waits for a stdout line matching `pattern` (from line index `from` on); rejects at the deadline
   * or when the child exits first.
   */
  waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    for (const line of this.lines.slice(from)) {
      const match = line.match(pattern)
      if (match) return Promise.resolve(match)
    }
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve: (m: RegExpMatchArray) => done(() => resolve(m)) }
      const timer = setTimeout(
        () => done(() => reject(this.#error(`did not print ${pattern} within ${timeoutMs} ms`))),
        timeoutMs,
      )
      const exit = () => done(() => reject(this.#error(`exited before printing ${pattern}`)))
      void this.exited.then(exit)
      const done = (settle: () => void) => {
        clearTimeout(timer)
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        settle()
      }
      this.#waiters.push(waiter)
    })
  }

  /** Waits for the `RESULT <json>` line and parses it. */
  async result<T>(timeoutMs: number): Promise<T> {
    const match = await this.waitFor(/^RESULT (.*)$/, timeoutMs)
    return JSON.parse(match[1]!) as T
  }

  /** Sends a command line and waits for the line it answers with (printed after it was sent). */
  ask(line: string, answer: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const mark = this.lines.length
    this.send(line)
    return this.waitFor(answer, timeoutMs, mark)
  }

  /** Writes one command line to the child's stdin. */
  send(line: string): void {
    this.#proc.stdin.write(`${line}\n`)
    this.#proc.stdin.flush()
  }

  /** Ends the child if it still runs (SIGTERM, then SIGKILL after a second) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (live.has(this)) {
      this.#proc.kill('SIGTERM')
      const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 1000)
      await this.exited
      clearTimeout(timer)
    }
    await this.exited
  }

  #line(line: string): void {
    this.lines.push(line)
    for (const waiter of this.#waiters) {
      const match = line.match(waiter.pattern)
      if (match) waiter.resolve(match)
    }
  }

  /** The last lines the child printed on stderr. */
  stderrTail(lines = 15): string[] {
    return this.#stderr.slice(-lines)
  }

  #error(what: string): Error {
    const tail = this.#stderr.slice(-15).join('\n')
    return new Error(`${this.name} (pid ${this.pid}) ${what}${tail ? `\n--- its stderr:\n${tail}` : ''}`)
  }

  async #read(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder()
    let buffered = ''
    const reader = stream.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffered += decoder.decode(value, { stream: true })
      let newline = buffered.indexOf('\n')
      while (newline !== -1) {
        onLine(buffered.slice(0, newline).trimEnd())
        buffered = buffered.slice(newline + 1)
        newline = buffered.indexOf('\n')
      }
    }
    if (buffered) onLine(buffered)
  }
}

function slug(name: string): string {
  return name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '')
}

/** Kills every child still running. */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((child) => child.kill()))
}

/** Kills the children synchronously: for exit paths that cannot await. */
export function killAllNow(): void {
  for (const child of live) {
    try {
      process.kill(child.pid, 'SIGKILL')
    } catch {}
  }
}

/**
 * Runs `fn` with children that are all killed afterwards, even when it throws. A failure's message
 * gets what the other children printed on stderr: the cause is often in another process.
 */
export async function withChildren<T>(
  fn: (spawn: (options: ChildOptions) => Child) => Promise<T>,
): Promise<T> {
  const mine: Child[] = []
  try {
    return await fn((options) => {
      const child = new Child(options)
      mine.push(child)
      return child
    })
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    const others = mine
      .filter(
        (child) => !message.includes(`${child.name} (pid ${child.pid})`) && child.stderrTail().length > 0,
      )
      .map((child) => `--- stderr of ${child.name} (pid ${child.pid}):\n${child.stderrTail(5).join('\n')}`)
    throw others.length > 0 ? new Error([message, ...others].join('\n'), { cause: err }) : err
  } finally {
    await Promise.all(mine.map((child) => child.kill()))
  }
}
