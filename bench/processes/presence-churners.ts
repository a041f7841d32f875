/**
 * CHURNERS meshes in this process, each with its own connection to RELAY_URL, joining and leaving
 * the presence of `bench.presence` in a closed loop: `setPresence(topic, state)` makes a node a
 * member, `setPresence(topic, null)` takes it out. Prints `READY` once connected; `GO <start> <end>`
 * runs the loops until `end` (wall-clock ms) and prints `RESULT {joins, window_ms}`: the joins the
 * relay answered between `start` and `end` (the watcher's window).
 */
import { envNumber, envString, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

const url = envString('RELAY_URL')
const count = envNumber('CHURNERS')
const meshes = await Promise.all(
  Array.from({ length: count }, (_, i) => connectMesh(url, `bench-churn-${i}-${process.pid}`)),
)
say('READY')

holdLifeline((command) => {
  const [verb, start, end] = command.split(' ')
  if (verb !== 'GO') return
  const from = Number(start)
  const until = Number(end)
  let joins = 0
  const loops = meshes.map(async (mesh, i) => {
    while (Date.now() < until) {
      await mesh.setPresence('bench.presence', { i, at: Date.now() })
      if (Date.now() >= from) joins++
      await mesh.setPresence('bench.presence', null)
    }
  })
  Promise.all(loops).then(
    () => {
      report({ joins, window_ms: until - from })
      process.exit(0)
    },
    (err) => {
      console.error(`churn failed: ${(err as Error).message}`)
      process.exit(1)
    },
  )
})
