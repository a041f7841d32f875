/** The limit's provider: a bare WebSocket to the limit relay that echoes every frame back verbatim. */
import '../breakdown/install.js'
import { probeCommand } from '../breakdown/probe.js'
import { envString, fail, holdLifeline, say } from '../lifeline.js'
import { webSocketClass } from '../runtime.js'

holdLifeline(probeCommand)
const Socket = await webSocketClass()
const socket = new Socket(`${envString('RELAY_URL')}/?role=provider`)
socket.binaryType = 'arraybuffer'
socket.onmessage = (event) => socket.send(event.data as ArrayBuffer)
socket.onopen = () => say('READY')
socket.onclose = (event) => fail(new Error(`limit provider socket closed (${event.code})`))
