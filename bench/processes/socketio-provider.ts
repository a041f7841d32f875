/** The Socket.IO peer's provider: acks every `call` with its payload. Prints `READY`. */
import { envString, holdLifeline, say } from '../lifeline.js'
import { connectIo } from './socketio-client.js'

holdLifeline()
const socket = await connectIo(envString('RELAY_URL'), 'provider')
socket.on('call', (payload: unknown, ack: (value: unknown) => void) => ack(payload))
say('READY')
