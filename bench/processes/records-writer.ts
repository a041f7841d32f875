/**
 * One mesh on RELAY_URL changing the record RECORD_ID: it writes a FIELDS-field document, prints
 * `READY`, and on `GO <start> <end>` patches one field per update (RFC 6902 `replace`), one
 * update at a time (a record's updates are serial by nature), until `end`; then prints
 * `RESULT {updates, window_ms}` for the updates completed in [start, end].
 */
import { envNumber, envString, fail, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

const id = envString('RECORD_ID')
const fields = envNumber('FIELDS', 50)
const mesh = await connectMesh(envString('RELAY_URL'), `bench-writer-${process.pid}`)
const doc = Object.fromEntries(
  Array.from({ length: fields }, (_, i) => [`f${i}`, { seq: 0, text: `field ${i}` }]),
)
await mesh.records.write(id, doc).catch(fail)

holdLifeline((command) => {
  const [verb, start, end] = command.split(' ')
  if (verb === 'GO') void run(Number(start), Number(end)).catch(fail)
})
say('READY')

async function run(start: number, end: number): Promise<void> {
  let seq = 0
  let counted = 0
  let startedAt = 0
  for (let now = Date.now(); now < end; now = Date.now()) {
    seq++
    await mesh.records.patch(id, [
      { op: 'replace', path: `/f${seq % fields}`, value: { seq, text: `field ${seq % fields}` } },
    ])
    if (now >= start) {
      if (startedAt === 0) startedAt = now
      counted++
    }
  }
  report({ updates: counted, window_ms: Date.now() - startedAt })
  process.exit(0)
}
