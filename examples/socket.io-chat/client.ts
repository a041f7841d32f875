/**
 * A chat client: joins ROOM as NICK on the server at URL, prints who is online and every message,
 * and says SAY when given.
 *
 *   URL=http://127.0.0.1:3001 NICK=ada ROOM=tea npx bun examples/socket.io-chat/client.ts
 */
import { io } from 'socket.io-client'

const url = process.env.URL ?? 'http://127.0.0.1:3000'
const user = process.env.NICK ?? 'anonymous'
const socket = io(url, { auth: { user, room: process.env.ROOM ?? 'lobby' } })

socket.on('connect', async () => {
  console.log(`connected to ${url} as ${user}`)
  console.log(`online: ${(await socket.emitWithAck('who')).join(', ')}`)
  if (process.env.SAY) socket.emit('say', process.env.SAY)
})
socket.on('joined', (m: { user: string; server: string }) => console.log(`${m.user} joined (on ${m.server})`))
socket.on('message', (m: { user: string; server: string; text: string }) =>
  console.log(`${m.user}@${m.server}: ${m.text}`),
)
socket.on('disconnect', (reason) => console.log(`disconnected: ${reason}`))
process.on('SIGINT', () => {
  socket.disconnect()
  process.exit(0)
})
