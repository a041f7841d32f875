/** The Socket.IO peer's caller: `await socket.emitWithAck('call', payload)` in INFLIGHT loops. */
import { loopOptionsFromEnv, PAYLOAD, runAwaitLoops, turnCommand } from '../closed-loop.js'
import { envString, holdLifeline, report, say } from '../lifeline.js'
import { connectIo } from './socketio-client.js'

holdLifeline(turnCommand)
const socket = await connectIo(envString('RELAY_URL'), 'caller')
report(
  await runAwaitLoops(
    loopOptionsFromEnv(),
    () => socket.emitWithAck('call', PAYLOAD),
    () => say('MEASURING'),
  ),
)
process.exit(0)
