/**
 * Ties a bench child process to the bench that started it: it exits when its stdin closes or the
 * parent pid (BENCH_PARENT_PID) disappears, so a crashed or killed bench leaves nothing running.
 * Lines on stdin are handed to `onCommand`.
 */
export function holdLifeline(onCommand: (line: string) => void = () => {}): void {
  let buffered = ''
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk
    let newline = buffered.indexOf('\n')
    while (newline !== -1) {
      const line = buffered.slice(0, newline).trim()
      buffered = buffered.slice(newline + 1)
      if (line) onCommand(line)
      newline = buffered.indexOf('\n')
    }
  })
  process.stdin.on('end', () => process.exit(0))
  const parent = Number(process.env.BENCH_PARENT_PID)
  if (parent > 0) {
    const watch = setInterval(() => {
      try {
        process.kill(parent, 0)
      } catch {
        process.exit(0)
      }
    }, 500)
    watch.unref()
  }
  // A clean exit on SIGTERM lets `--cpu-prof` write its profile.
  process.on('SIGTERM', () => process.exit(0))
  // A failure inside a child must end it, so the bench sees an exit instead of waiting for a line.
  process.on('unhandledRejection', (err) => fail(err))
}

/** Prints one machine-readable line for the bench to read. */
export function say(...parts: unknown[]): void {
  console.log(parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' '))
}

/** Prints `RESULT <json>`: the one figure a measuring child reports. */
export function report(result: object): void {
  say('RESULT', result)
}

/** Prints the error and exits 1. */
export function fail(err: unknown): never {
  console.error(`ERROR ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
  process.exit(1)
}

/** Reads a required numeric environment variable, failing with its name when missing or not a number. */
export function envNumber(name: string, fallback?: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback
    fail(new Error(`${name} is required`))
  }
  const value = Number(raw)
  if (Number.isNaN(value)) fail(new Error(`${name}=${JSON.stringify(raw)} is not a number`))
  return value
}

/** Reads a required string environment variable. */
export function envString(name: string, fallback?: string): string {
  const raw = process.env[name]
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback
    fail(new Error(`${name} is required`))
  }
  return raw
}
