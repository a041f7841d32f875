/** The Moleculer peer's provider: an `echo` service on a TCP-transporter broker. Prints `READY <port>`. */
import { holdLifeline, say } from '../lifeline.js'
import { createBroker } from './moleculer-broker.js'

holdLifeline()
const broker = await createBroker('bench-provider', [])
broker.createService({ name: 'echo', actions: { echo: (ctx: { params: { p: string } }) => ctx.params.p } })
await broker.start()
say('READY', broker.transit.tx.opts.port)
