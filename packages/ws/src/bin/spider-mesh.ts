#!/usr/bin/env node
/**
 * The `spider-mesh` command line: `relay`, `ls`, `call`, `tail`, `bench`. Runs under plain Node
 * from the built package and under Bun from source (`npm run cli -- <command>`); see
 * `spider-mesh --help` and packages/ws/README.md.
 */
import { runCli } from '../cli/run-cli.js'

try {
  process.exit(await runCli(process.argv.slice(2)))
} catch (err) {
  // A bug, not a user mistake: show the stack so it can be reported.
  console.error('spider-mesh: unexpected failure:', err)
  process.exit(1)
}
