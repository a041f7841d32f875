/**
 * The far side of the raw NATS round trip (the cluster scenario's `nats-rtt`): answers every
 * message on `bench.echo` with its own bytes on its reply subject, as a relay answers a call
 * from another relay. NATS_URL is the server; prints `READY` once its subscription is in place.
 */
import { connect } from '@nats-io/transport-node'
import { envString, fail, holdLifeline, say } from '../lifeline.js'

holdLifeline()
const nc = await connect({ servers: envString('NATS_URL'), name: 'bench nats-responder' }).catch(fail)
nc.subscribe('bench.echo', {
  callback: (err, msg) => {
    if (err) fail(err)
    msg.respond(msg.data)
  },
})
// The flush round trip proves the server has the subscription before the caller starts.
await nc.flush()
say('READY')
