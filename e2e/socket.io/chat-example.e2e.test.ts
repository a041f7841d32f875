import { describe, expect, test } from 'bun:test'
import { spawn, startRelay, useCleanup } from '../harness/index.js'

useCleanup()

const example = new URL('../../examples/socket.io-chat/', import.meta.url).pathname

describe('examples/socket.io-chat with a real relay, two chat servers and two clients', () => {
  test('clients of different servers chat in one room; a server leaving is seen by the other', async () => {
    const relay = await startRelay()
    const server = (name: string) =>
      spawn(`chat server ${name}`, [process.execPath, `${example}server.ts`], {
        RELAY_URL: relay.url,
        NAME: name,
        PORT: '0',
      })
    const east = server('east')
    const eastUrl = (await east.waitForLine(/^chat server east on (http:\S+)$/))[1]!
    const west = server('west')
    const westUrl = (await west.waitForLine(/^chat server west on (http:\S+)$/))[1]!
    await east.waitForLine(/^announcement from another server: west is up$/)

    const client = (nick: string, url: string, say?: string) =>
      spawn(`chat client ${nick}`, [process.execPath, `${example}client.ts`], {
        URL: url,
        NICK: nick,
        ROOM: 'tea',
        SAY: say,
      })
    const ada = client('ada', eastUrl)
    await ada.waitForLine(/^online: ada@east$/)
    await east.waitForLine(/^ada joined tea \(servers in the chat: 2\)$/)
    const bob = client('bob', westUrl, 'hello from the west')
    await bob.waitForLine(/^online: ada@east, bob@west$/)
    await ada.waitForLine(/^bob joined \(on west\)$/)
    await ada.waitForLine(/^bob@west: hello from the west$/)
    await bob.waitForLine(/^bob@west: hello from the west$/)

    await west.stop()
    expect(west.exitCode).toBe(0)
    const carol = client('carol', eastUrl)
    await carol.waitForLine(/^online: ada@east, carol@east$/)
    // west said goodbye when it closed: east counts itself alone at once, not after a heartbeat timeout.
    await east.waitForLine(/^carol joined tea \(servers in the chat: 1\)$/)
  })
})
