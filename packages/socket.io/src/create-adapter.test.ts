import { afterEach, describe, expect, test } from 'bun:test'
import { createServer } from 'node:http'
import { InProcessTransporter, SpiderMesh } from '@spider-mesh/core'
import { Server } from 'socket.io'
import { createAdapter } from './create-adapter.js'

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.close()
})

/** Two Socket.IO servers (no HTTP: server-side features only), each on its own mesh of one process. */
function twoServers(options: Parameters<typeof createAdapter>[1] = {}) {
  const transporter = new InProcessTransporter({ unsubscribeDelayMs: 0 })
  return [1, 2].map((n) => {
    const mesh = new SpiderMesh({ nodeId: `io-${n}` })
    mesh.registerTransporter(transporter)
    // Never listening: an HTTP server only gives io.close() an engine to close.
    const io = new Server(createServer())
    io.adapter(createAdapter(mesh, options))
    open.push(mesh, io)
    return { io, mesh }
  }) as [{ io: Server; mesh: SpiderMesh }, { io: Server; mesh: SpiderMesh }]
}

async function counted(io: Server, n: number, nsp = '/'): Promise<void> {
  const deadline = Date.now() + 2000
  while ((await io.of(nsp).adapter.serverCount()) !== n) {
    if (Date.now() > deadline) throw new Error(`the server did not count ${n} servers within 2 s`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('createAdapter', () => {
  test('keeps Socket.IO’s heartbeat defaults for the options not given', () => {
    const [{ io }] = twoServers({ heartbeatInterval: undefined, heartbeatTimeout: 700 })
    expect((io.of('/').adapter as unknown as { _opts: object })._opts).toEqual({
      heartbeatInterval: 5000,
      heartbeatTimeout: 700,
    })
  })

  test('refuses a missing mesh, an empty prefix and a heartbeat that is not a positive number', () => {
    expect(() => createAdapter(undefined as never)).toThrow('needs a SpiderMesh')
    const mesh = new SpiderMesh()
    open.push(mesh)
    expect(() => createAdapter(mesh, { prefix: '' })).toThrow('prefix must be a non-empty string')
    expect(() => createAdapter(mesh, { heartbeatTimeout: 0 })).toThrow('heartbeatTimeout must be a number')
  })

  test('servers on meshes of one process count each other per namespace and answer serverSideEmitWithAck', async () => {
    const [a, b] = twoServers()
    b.io.on('hello', (name: string, ack: (answer: unknown) => void) => ack({ hi: name, from: 'b' }))
    await counted(a.io, 2)
    expect(await a.io.serverSideEmitWithAck('hello', 'a')).toEqual([{ hi: 'a', from: 'b' }])
    b.io.of('/chat')
    a.io.of('/chat')
    // Each namespace has its own adapter and uid: two servers in each, not four.
    await counted(a.io, 2, '/chat')
    expect(await a.io.of('/').adapter.serverCount()).toBe(2)
  })

  test('an answer holding a function crosses as Socket.IO’s JSON would carry it: without the function', async () => {
    const [a, b] = twoServers()
    b.io.on('shape', (ack: (answer: unknown) => void) => ack({ n: 1, f: () => 1, list: [() => 2, 3] }))
    await counted(a.io, 2)
    expect(await a.io.serverSideEmitWithAck('shape')).toEqual([{ n: 1, list: [null, 3] }])
  })

  test('a server that closes is no longer counted', async () => {
    const [a, b] = twoServers()
    await counted(a.io, 2)
    await b.io.close()
    await counted(a.io, 1)
  })
})
