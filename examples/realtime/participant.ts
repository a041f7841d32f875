// Terminals 2, 3, …: `bun participant.ts alice`, `bun participant.ts bob`. Each one joins the
// lobby: it replays the last messages, sees who is here (and who is typing), adds itself to a
// shared roster record without overwriting anyone, and says hello. Ctrl-C leaves.
import { ErrorCode, type MeshError, SpiderMesh } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'

const name = process.argv[2] ?? 'guest'
const relayUrl = process.env.RELAY_URL ?? 'ws://127.0.0.1:8787'
const LOBBY = 'chat.lobby'
const ROSTER = 'lobby:roster'

type Chat = { from: string; text: string }

const transporter = new WebsocketTransporter({ unsubscribeDelayMs: 0 })
transporter.connect(relayUrl)
// `meta` is what others see of this node in presence lists.
const mesh = new SpiderMesh({ nodeId: `participant-${name}`, meta: { name } })
mesh.registerTransporter(transporter)

// History first (the last 10, oldest first), then live messages: no gap, no duplicate.
mesh.listen<Chat>(LOBBY, { history: 10 }).subscribe((m) => console.log(`[chat] ${m.from}: ${m.text}`))

// Who is here: the whole list on every join, leave and state change.
mesh.presence(LOBBY).subscribe((members) => {
  const names = members.map((m) => `${m.meta.name ?? m.nodeId}${m.state ? ` (${m.state})` : ''}`)
  console.log(`[here] ${names.join(', ')}`)
})

// The roster is a versioned record: a watch gets the value, then every change.
mesh.records.watch<string[]>(ROSTER).subscribe(({ version, value }) => {
  console.log(`[roster v${version}] ${(value ?? []).join(', ')}`)
})

// Compare-and-set: read, write with the version read; another writer in between makes the write
// fail with VERSION_CONFLICT instead of losing its change — then read again and retry.
for (let attempt = 1; ; attempt++) {
  const current = await mesh.records.get<string[]>(ROSTER)
  const names = current?.value ?? []
  if (names.includes(name)) break
  try {
    await mesh.records.write(ROSTER, [...names, name], { expectedVersion: current?.version ?? 0 })
    break
  } catch (err) {
    if ((err as MeshError).code !== ErrorCode.VERSION_CONFLICT || attempt === 10) throw err
  }
}

await mesh.setPresence(LOBBY, 'typing', { ttlMs: 1000 }) // gone by itself after a second
mesh.publish<Chat>(LOBBY, { from: name, text: `hi, I am ${name}` })

process.on('SIGINT', async () => {
  await mesh.close()
  await transporter.close()
  process.exit(0)
})
