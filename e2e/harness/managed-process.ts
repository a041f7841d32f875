import type { Subprocess } from 'bun'

/** One line a child process printed. */
export interface OutputLine {
  stream: 'stdout' | 'stderr'
  text: string
}

/** Options of {@link ManagedProcess}. */
export interface ManagedProcessOptions {
  /** Shown in failure messages. */
  name: string
  /** The command and its arguments. */
  cmd: string[]
  /** Added to the parent's environment. */
  env?: Record<string, string | undefined>
  cwd?: string
}

/** Options of {@link ManagedProcess.waitForLine}. */
export interface WaitForLineOptions {
  /** Fail after this many ms. Default 10000. */
  timeoutMs?: number
  /** Only look at lines from this index on (see {@link ManagedProcess.mark}). Default 0. */
  from?: number
}

interface Waiter {
  pattern: RegExp
  from: number
  resolve: (match: RegExpMatchArray) => void
  reject: (error: Error) => void
}

const root = new URL('../..', import.meta.url).pathname

/**
 * A child process whose output is captured line by line, so tests wait on what it prints
 * (with a deadline) instead of sleeping. It gets `SPIDER_MESH_PARENT_PID` and a stdin pipe: the
 * fixtures exit when either goes away, so a crashed test runner leaves nothing behind.
 */
export class ManagedProcess {
  readonly name: string
  readonly lines: OutputLine[] = []
  /** Resolves with the exit code, or null when a signal ended the process. */
  readonly exited: Promise<number | null>
  exitCode: number | null | undefined = undefined
  readonly #proc: Subprocess<'pipe', 'pipe', 'pipe'>
  readonly #waiters = new Set<Waiter>()
  readonly #reading: Promise<void>

  constructor(options: ManagedProcessOptions) {
    this.name = options.name
    this.#proc = Bun.spawn(options.cmd, {
      cwd: options.cwd ?? root,
      env: { ...process.env, ...options.env, SPIDER_MESH_PARENT_PID: String(process.pid) },
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    this.#reading = Promise.all([
      this.#read(this.#proc.stdout, 'stdout'),
      this.#read(this.#proc.stderr, 'stderr'),
    ]).then(() => {})
    this.exited = this.#proc.exited.then(async (code) => {
      // Let the readers drain what the process printed before it died.
      await this.#reading
      this.exitCode = this.#proc.signalCode ? null : code
      for (const waiter of this.#waiters) {
        waiter.reject(this.#failure(`exited (${this.#describeExit()}) before printing ${waiter.pattern}`))
      }
      this.#waiters.clear()
      return this.exitCode
    })
  }

  get pid(): number {
    return this.#proc.pid
  }

  /** Whether the process has not exited yet. */
  get alive(): boolean {
    return this.#proc.exitCode === null && this.#proc.signalCode === null
  }

  /** The index the next line will have: pass it as `from` to wait only for later output. */
  mark(): number {
    return this.lines.length
  }

  /** Lines of stdout from `from` on that match `pattern`. */
  matching(pattern: RegExp, from = 0): RegExpMatchArray[] {
    const found: RegExpMatchArray[] = []
    for (let i = from; i < this.lines.length; i++) {
      const line = this.lines[i]!
      if (line.stream !== 'stdout') continue
      const match = line.text.match(pattern)
      if (match) found.push(match)
    }
    return found
  }

  /** Resolves with the first stdout line (from `from` on) matching `pattern`; rejects at the deadline. */
  waitForLine(pattern: RegExp, options: WaitForLineOptions = {}): Promise<RegExpMatchArray> {
    const from = options.from ?? 0
    const timeoutMs = options.timeoutMs ?? 10_000
    const existing = this.matching(pattern, from)[0]
    if (existing) return Promise.resolve(existing)
    if (this.exitCode !== undefined) {
      return Promise.reject(this.#failure(`exited (${this.#describeExit()}) before printing ${pattern}`))
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(this.#failure(`did not print ${pattern} within ${timeoutMs} ms`))
      }, timeoutMs)
      const waiter: Waiter = {
        pattern,
        from,
        resolve: (match) => {
          clearTimeout(timer)
          resolve(match)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      this.#waiters.add(waiter)
    })
  }

  /** Writes one line to the process's stdin (fixtures read commands from it). */
  write(line: string): void {
    this.#proc.stdin.write(`${line}\n`)
    this.#proc.stdin.flush()
  }

  /** Sends a signal. SIGKILL is how tests simulate a crash. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.#proc.kill(signal)
  }

  /** Asks the process to stop (SIGTERM) and kills it when it has not exited within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.alive) {
      await this.exited
      return
    }
    this.kill('SIGTERM')
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  /** Everything the process printed, for failure messages. */
  output(): string {
    return this.lines.map((l) => `  [${this.name} ${l.stream}] ${l.text}`).join('\n')
  }

  #describeExit(): string {
    return this.#proc.signalCode ? `signal ${this.#proc.signalCode}` : `code ${this.#proc.exitCode}`
  }

  #failure(what: string): Error {
    return new Error(
      `${this.name} (pid ${this.pid}) ${what}. Output so far:\n${this.output() || '  (nothing)'}`,
    )
  }

  async #read(stream: ReadableStream<Uint8Array>, kind: OutputLine['stream']): Promise<void> {
    const decoder = new TextDecoder()
    let buffered = ''
    const reader = stream.getReader()
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        buffered += decoder.decode(value, { stream: true })
        let newline = buffered.indexOf('\n')
        while (newline !== -1) {
          this.#push(kind, buffered.slice(0, newline).replace(/\r$/, ''))
          buffered = buffered.slice(newline + 1)
          newline = buffered.indexOf('\n')
        }
      }
    } catch {
      // The pipe broke with the process; what was read is kept.
    }
    if (buffered) this.#push(kind, buffered)
  }

  #push(stream: OutputLine['stream'], text: string): void {
    const index = this.lines.push({ stream, text }) - 1
    if (process.env.E2E_VERBOSE) console.log(`[${this.name} ${stream}] ${text}`)
    if (stream !== 'stdout') return
    for (const waiter of this.#waiters) {
      if (index < waiter.from) continue
      const match = text.match(waiter.pattern)
      if (match) {
        this.#waiters.delete(waiter)
        waiter.resolve(match)
      }
    }
  }
}
