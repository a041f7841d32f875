import { expect, test } from 'bun:test'

/** Runs a script in its own Bun process (so that "the process exits by itself" can be observed). */
async function runScript(code: string, timeoutMs: number) {
  const child = Bun.spawn([process.execPath, '-e', code], {
    cwd: new URL('../../../', import.meta.url).pathname,
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [stdout, stderr, code_] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ])
  clearTimeout(timer)
  return { stdout, stderr, exitCode: code_, signal: child.signalCode }
}

test('a relay whose NATS never answers serves, says degraded, and exits by itself after close()', async () => {
  // Port 9 on 127.0.0.1: nothing listens, so every connection attempt is refused at once.
  const result = await runScript(
    `
    import { WebsocketRelayServer } from '@spider-mesh/ws/relay-server'
    const logged = []
    const logger = { debug() {}, info() {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) }
    const server = new WebsocketRelayServer({ host: '127.0.0.1', port: 0, cluster: { nats: 'nats://127.0.0.1:9' }, logger })
    await server.ready
    await new Promise((r) => setTimeout(r, 600))
    const health = await (await fetch('http://127.0.0.1:' + server.port + '/health')).json()
    console.log(JSON.stringify({ status: health.status, state: health.cluster.state, warned: logged.length }))
    await server.close({ drainTimeoutMs: 0 })
    `,
    8000,
  )
  expect(result.signal).toBeNull()
  expect(result.exitCode).toBe(0)
  const line = JSON.parse(result.stdout.trim().split('\n').pop()!)
  expect(line.status).toBe('degraded')
  expect(line.state).toBe('down')
  // Said once, not once per retry.
  expect(line.warned).toBe(1)
}, 15_000)
