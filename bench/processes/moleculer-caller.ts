/**
 * The Moleculer peer's caller: connects to the provider at PROVIDER_PORT (TCP transporter, static
 * URL) and runs `await broker.call('echo.echo', { p: payload })` in INFLIGHT loops.
 */
import { loopOptionsFromEnv, PAYLOAD, runAwaitLoops, turnCommand } from '../closed-loop.js'
import { envNumber, holdLifeline, report, say } from '../lifeline.js'
import { createBroker } from './moleculer-broker.js'

holdLifeline(turnCommand)
const broker = await createBroker(`bench-caller-${process.pid}`, [
  `127.0.0.1:${envNumber('PROVIDER_PORT')}/bench-provider`,
])
await broker.start()
await broker.waitForServices('echo', 15_000)
report(
  await runAwaitLoops(
    loopOptionsFromEnv(),
    () => broker.call('echo.echo', { p: PAYLOAD }),
    () => say('MEASURING'),
  ),
)
process.exit(0)
