/**
 * WATCHERS meshes in this process, each with its own WebsocketTransporter on RELAY_URL, watching
 * the record RECORD_ID in MODE (full | patch). Prints `READY` once every watcher holds a value.
 * The stdin command `WINDOW <start> <end>` (wall-clock ms, the same for every process) makes it
 * count the updates received between those times and print `RESULT {updates, window_ms,
 * last_version}` after the end.
 */
import { envNumber, envString, holdLifeline, report, say } from '../lifeline.js'
import { connectMesh } from './mesh-connect.js'

let measure: ((start: number, end: number) => void) | null = null
holdLifeline((command) => {
  const [verb, start, end] = command.split(' ')
  if (verb === 'WINDOW') measure?.(Number(start), Number(end))
})
const urls = envString('RELAY_URL').split(',')
const count = envNumber('WATCHERS')
const id = envString('RECORD_ID')
const mode = envString('MODE') === 'patch' ? 'patch' : 'full'

const meshes = await Promise.all(
  Array.from({ length: count }, (_, i) =>
    connectMesh(urls[i % urls.length]!, `bench-watch-${i}-${process.pid}`),
  ),
)
let updates = 0
let lastVersion = 0
let holding = 0
await new Promise<void>((resolve) => {
  for (const mesh of meshes) {
    let first = true
    mesh.records.watch(id, { mode }).subscribe({
      next: (update) => {
        updates++
        if (update.version > lastVersion) lastVersion = update.version
        if (first) {
          first = false
          if (++holding === count) resolve()
        }
      },
      error: (err: Error) => {
        console.error(`ERROR watch: ${err.message}`)
        process.exit(1)
      },
    })
  }
})
say('READY')

measure = (tStart, tEnd) => {
  let atStart = 0
  let startedAt = 0
  setTimeout(
    () => {
      atStart = updates
      startedAt = Date.now()
    },
    Math.max(0, tStart - Date.now()),
  )
  setTimeout(
    () => {
      report({ updates: updates - atStart, window_ms: Date.now() - startedAt, last_version: lastVersion })
      process.exit(0)
    },
    Math.max(0, tEnd - Date.now()),
  )
}
