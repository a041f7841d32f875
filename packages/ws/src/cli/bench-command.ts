import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CliError } from './cli-error.js'
import type { Command } from './command.js'
import type { ParsedArgs } from './parse-args.js'

/**
 * The repository checkout holding `bench/run.ts`: searched upward from the working directory,
 * then from this file (which sits in the checkout when the CLI runs from source or a workspace).
 */
export function findBenchRoot(starts: string[]): string | undefined {
  for (const start of starts) {
    let dir = start
    for (;;) {
      if (existsSync(join(dir, 'bench', 'run.ts'))) return dir
      const parent = dirname(dir)
      if (parent === dir) break
      dir = parent
    }
  }
  return undefined
}

/** The bench is Bun code: use this Bun, or the repository's `node_modules/.bin/bun` under Node. */
function bunBinary(root: string): string {
  if ((globalThis as { Bun?: unknown }).Bun) return process.execPath
  const local = join(root, 'node_modules', '.bin', 'bun')
  return existsSync(local) ? local : 'bun'
}

async function runBench(args: ParsedArgs): Promise<number> {
  const here = dirname(fileURLToPath(import.meta.url))
  const root = findBenchRoot([process.cwd(), here])
  if (!root) {
    throw new CliError(
      `bench/run.ts was not found above ${process.cwd()}: the benchmark ships with the Spider Mesh ` +
        'repository, not the npm package. Run `spider-mesh bench` (or `npm run bench`) inside a checkout.',
    )
  }
  const benchArgs = [
    join(root, 'bench', 'run.ts'),
    ...(args.flag('full') ? [] : ['--quick']),
    ...args.positionals,
  ]
  const bun = bunBinary(root)
  console.error(
    `Running ${args.flag('full') ? 'the full' : 'the quick'} benchmark: bun ${benchArgs.join(' ')}`,
  )
  const child = spawn(bun, benchArgs, { cwd: root, stdio: 'inherit' })
  // Ctrl-C reaches the bench through the terminal's process group; just wait for it to end.
  const onSigint = () => {}
  process.on('SIGINT', onSigint)
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', (err) => reject(new CliError(`Could not start ${bun}: ${err.message}`)))
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)))
    })
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** `spider-mesh bench`: runs the repository's benchmark. */
export const benchCommand: Command = {
  name: 'bench',
  summary: 'Run the quick benchmark (relay, provider and callers as separate processes).',
  usage: 'bench [--full] [-- <bench flags>]',
  details:
    'Runs `bun bench/run.ts --quick` in the Spider Mesh checkout found above the working directory:\n' +
    'unary req/s with p50/p99 at 1 and 64 in flight, stream items/s and pub/sub fan-out, each next to\n' +
    'a minimal byte-forwarding relay. Progress goes to stderr, the table to stdout. Flags after -- go to\n' +
    'bench/run.ts (--json, --only unary,stream, --runs N, --peers).',
  flags: [{ name: 'full', type: 'boolean', description: 'Measure 10 s per scenario instead of 3 s.' }],
  examples: ['spider-mesh bench', 'spider-mesh bench -- --only unary --json'],
  run: runBench,
}
