/**
 * Raw NATS round trips, the floor of one cross-relay call's extra hop: publishes a 100-byte
 * message on `bench.echo` with the reply subject `bench.r.<slot>` and times until the
 * responder's answer arrives on it, in INFLIGHT loops (closed-loop.ts). The same pattern as a
 * relay's cross-relay call (one publish with a per-call reply subject, one wildcard
 * subscription for every answer), without the relays and the mesh. Prints `MEASURING` as the
 * measured phase starts, then `RESULT <json>`.
 */
import { connect } from '@nats-io/transport-node'
import { CallbackLoops, loopOptionsFromEnv, PAYLOAD, turnCommand } from '../closed-loop.js'
import { envString, fail, holdLifeline, report, say } from '../lifeline.js'

holdLifeline(turnCommand)
const nc = await connect({ servers: envString('NATS_URL'), name: 'bench nats-caller' }).catch(fail)
const payload = new TextEncoder().encode(PAYLOAD)
const loops = new CallbackLoops(loopOptionsFromEnv(), (slot) =>
  nc.publish('bench.echo', payload, { reply: `bench.r.${slot}` }),
)
nc.subscribe('bench.r.*', {
  callback: (err, msg) => {
    if (err) fail(err)
    loops.complete(Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1)))
  },
})
await nc.flush()
report(await loops.run(() => say('MEASURING')))
process.exit(0)
