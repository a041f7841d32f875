/**
 * The limit's caller: a bare WebSocket that sends a 100-byte frame whose first 4 bytes are the
 * slot id, and matches each echoed frame to its slot. Same loops and recording as the mesh caller
 * (closed-loop.ts), with callbacks instead of promises: nothing but the wire.
 */
import '../breakdown/install.js'
import { Ev } from '../breakdown/events.js'
import { dumpProbe, PROBING, probe } from '../breakdown/probe.js'
import { CallbackLoops, loopOptionsFromEnv, turnCommand } from '../closed-loop.js'
import { envString, fail, holdLifeline, report, say } from '../lifeline.js'
import { webSocketClass } from '../runtime.js'

holdLifeline(turnCommand)
const options = loopOptionsFromEnv()
const Socket = await webSocketClass()
const socket = new Socket(`${envString('RELAY_URL')}/?role=caller`)
socket.binaryType = 'arraybuffer'
// One preallocated frame per slot: a slot resends only after its reply, so no frame is reused early.
const frames = Array.from({ length: options.inflight }, (_, slot) => {
  const frame = new Uint8Array(100).fill(120)
  new DataView(frame.buffer).setUint32(0, slot)
  return frame
})
const loops = new CallbackLoops(options, (slot) => socket.send(frames[slot]!))
socket.onmessage = (event) => loops.complete(new DataView(event.data as ArrayBuffer).getUint32(0))
socket.onclose = (event) => fail(new Error(`limit caller socket closed (${event.code})`))
await new Promise((resolve) => {
  socket.onopen = resolve
})
const result = await loops.run(() => {
  probe(Ev.WindowStart)
  say('MEASURING')
})
probe(Ev.WindowEnd)
if (PROBING) dumpProbe(envString('BREAKDOWN_FILE'))
report(result)
process.exit(0)
