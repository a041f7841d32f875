/**
 * The limit relay as a process (bench/limit-relay.ts): LIMIT_ADAPTER=bun uses `Bun.serve`, node
 * the `ws` package (the only choice under Node.js). Prints `Limit relay listening on ws://…`;
 * stdin `GC` forces a full collection and prints `GC_DONE`.
 */

import { holdLifeline, say } from '../lifeline.js'
// First: with BREAKDOWN=1 the probes wrap Bun.serve's socket callbacks (breakdown/probe.ts).
import '../breakdown/install.js'
import { probeCommand } from '../breakdown/probe.js'
import { startBunLimitRelay, startWsLimitRelay } from '../limit-relay.js'
import { forceGc, IS_BUN } from '../runtime.js'

const host = process.env.HOST || '127.0.0.1'
const port = Number(process.env.PORT ?? 0)
const relay =
  process.env.LIMIT_ADAPTER === 'node' || !IS_BUN
    ? await startWsLimitRelay(host, port)
    : startBunLimitRelay(host, port)
holdLifeline((command) => {
  if (probeCommand(command)) return
  if (command === 'GC') {
    forceGc()
    say('GC_DONE')
  }
})
say(`Limit relay listening on ws://${host}:${relay.port}`)
