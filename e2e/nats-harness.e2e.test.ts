import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import {
  connectionRefused,
  type NatsServerProcess,
  readFirstLine,
  releaseSuite,
  startNatsServer,
  until,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

/** What nats-server says in the INFO line it greets every client with. */
interface NatsInfo {
  server_id: string
  version: string
  port: number
}

/** Connects like a client would and parses the server's greeting, `INFO {json}`. */
async function greeting(port: number): Promise<NatsInfo> {
  const line = await readFirstLine(port, 3000)
  expect(line.startsWith('INFO {')).toBe(true)
  return JSON.parse(line.slice('INFO '.length)) as NatsInfo
}

function refusedWithin(port: number, ms = 5000): Promise<void> {
  return until(`127.0.0.1:${port} to refuse connections`, () => connectionRefused(port), ms)
}

describe('nats-server harness', () => {
  test('starts on an ephemeral port and greets a raw TCP client with INFO', async () => {
    const server = await startNatsServer()
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`)
    expect(server.pid).toBeGreaterThan(0)
    const info = await greeting(server.port)
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(info.port).toBe(server.port)
  })

  test('kill() makes the port refuse connections within a deadline', async () => {
    const server = await startNatsServer({ name: 'nats-to-kill' })
    await greeting(server.port)
    server.kill()
    await refusedWithin(server.port)
  })

  test('restart() after kill() brings it back on the same port, as a new process', async () => {
    const server = await startNatsServer()
    const { port, url } = server
    const before = await greeting(port)
    const pidBefore = server.pid
    server.kill()
    await refusedWithin(port)

    await within(15_000, 'the restart after kill()', server.restart())
    expect(server.port).toBe(port)
    expect(server.url).toBe(url)
    expect(server.pid).not.toBe(pidBefore)
    const after = await greeting(port)
    expect(after.port).toBe(port)
    expect(after.server_id).not.toBe(before.server_id)
  })

  test('restart() after stop() brings it back on the same port', async () => {
    const server = await startNatsServer()
    const port = server.port
    await server.stop()
    // stop() resolves once the process has exited, so the port is closed already.
    expect(await connectionRefused(port)).toBe(true)
    await within(15_000, 'the restart after stop()', server.restart())
    expect((await greeting(port)).port).toBe(port)
  })

  test('two servers at once get different ports', async () => {
    const [a, b] = await Promise.all([
      startNatsServer({ name: 'nats-a' }),
      startNatsServer({ name: 'nats-b' }),
    ])
    expect(a.port).not.toBe(b.port)
    expect(a.pid).not.toBe(b.pid)
    const [infoA, infoB] = await Promise.all([greeting(a.port), greeting(b.port)])
    expect(infoA.port).toBe(a.port)
    expect(infoB.port).toBe(b.port)
    expect(infoA.server_id).not.toBe(infoB.server_id)
  })

  // These two run in order: the second checks what the first test's teardown did.
  let portOfPreviousTest = 0
  test('a server started in a test ...', async () => {
    const server = await startNatsServer({ name: 'nats-left-running' })
    portOfPreviousTest = server.port
    await greeting(server.port)
  })

  test('... is stopped after that test', async () => {
    expect(portOfPreviousTest).toBeGreaterThan(0)
    expect(await connectionRefused(portOfPreviousTest)).toBe(true)
  })
})

describe('a nats-server started in beforeAll', () => {
  let server: NatsServerProcess
  beforeAll(async () => {
    server = await startNatsServer({ name: 'nats-suite' })
  })
  afterAll(() => releaseSuite())

  test('can be restarted inside a test ...', async () => {
    server.kill()
    await refusedWithin(server.port)
    await within(15_000, 'the restart inside a test', server.restart())
    await greeting(server.port)
  })

  test('... and still runs in the next test (the restart is not tied to that test)', async () => {
    expect((await greeting(server.port)).port).toBe(server.port)
  })
})
