/**
 * One mesh watching the presence of `bench.presence` on RELAY_URL. Prints `READY` after its first
 * list. `WINDOW <start> <end>` (wall-clock ms) makes it count, between those times, the joins it
 * sees (node ids in a list that were not in the one before), the leaves and the lists, and print
 * `RESULT {joins, leaves, lists, window_ms}` after the end.
 */
import { envString, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

let measure: ((start: number, end: number) => void) | null = null
holdLifeline((command) => {
  const [verb, start, end] = command.split(' ')
  if (verb === 'WINDOW') measure?.(Number(start), Number(end))
})

const mesh = await connectMesh(envString('RELAY_URL'), `bench-presence-watcher-${process.pid}`)
let joins = 0
let leaves = 0
let lists = 0
let previous = new Set<string>()
let ready = false
mesh.presence('bench.presence').subscribe({
  next: (list) => {
    const now = new Set(list.map((m) => m.nodeId))
    for (const id of now) if (!previous.has(id)) joins++
    for (const id of previous) if (!now.has(id)) leaves++
    previous = now
    lists++
    if (!ready) {
      ready = true
      say('READY')
    }
  },
  error: (err) => {
    console.error(`presence watch failed: ${(err as Error).message}`)
    process.exit(1)
  },
})

measure = (tStart, tEnd) => {
  let atStart = { joins: 0, leaves: 0, lists: 0 }
  let startedAt = 0
  setTimeout(
    () => {
      atStart = { joins, leaves, lists }
      startedAt = Date.now()
    },
    Math.max(0, tStart - Date.now()),
  )
  setTimeout(
    () => {
      report({
        joins: joins - atStart.joins,
        leaves: leaves - atStart.leaves,
        lists: lists - atStart.lists,
        window_ms: Date.now() - startedAt,
      })
      process.exit(0)
    },
    Math.max(0, tEnd - Date.now()),
  )
}
