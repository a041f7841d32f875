import { beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type ManagedProcess,
  type RelayProcess,
  relayFromProcess,
  spawn,
  startClient,
  startProvider,
  track,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

const root = new URL('..', import.meta.url).pathname
const source = `${root}packages/ws/src/bin/spider-mesh.ts`
const built = `${root}packages/ws/dist/bin/spider-mesh.js`

/** Runs the CLI from source under Bun (or from dist under plain Node) as a real process. */
function cli(
  args: string[],
  runtime: 'bun' | 'node' = 'bun',
  env: Record<string, string | undefined> = {},
): ManagedProcess {
  const cmd = runtime === 'bun' ? [process.execPath, source, ...args] : ['node', built, ...args]
  // No inherited SPIDER_MESH_RELAY or token: every command names its relay, as the tests mean it to.
  return spawn(`spider-mesh ${args[0]}`, cmd, {
    SPIDER_MESH_RELAY: undefined,
    SPIDER_MESH_TOKEN: undefined,
    ...env,
  })
}

/** Waits for the process to exit (within `ms`) and returns its code and what it printed. */
async function finished(proc: ManagedProcess, ms = 10_000) {
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms)
  const code = await proc.exited
  clearTimeout(timer)
  const text = (stream: 'stdout' | 'stderr') =>
    proc.lines
      .filter((l) => l.stream === stream)
      .map((l) => l.text)
      .join('\n')
  return { code, stdout: text('stdout'), stderr: text('stderr') }
}

describe('spider-mesh CLI against a relay it started and a provider process', () => {
  let relay: RelayProcess
  let provider: ManagedProcess

  beforeAll(async () => {
    // The relay is the CLI's own `relay` command; a short heartbeat so RTTs are measured quickly.
    relay = await relayFromProcess(cli(['relay', '--port', '0', '--heartbeat-ms', '200']))
    provider = await startProvider({
      relayUrl: relay.url,
      nodeId: 'cli-provider',
      services: ['Matrix', 'Other'],
    })
  })

  test('ls prints the provider with its services, version, runtime and round-trip time', async () => {
    await until('the relay to measure the provider RTT', async () => {
      const { nodes } = (await (await fetch(`http://127.0.0.1:${relay.port}/directory`)).json()) as {
        nodes: { node_id: string; rtt_ms: number | null }[]
      }
      return nodes.some((n) => n.node_id === 'cli-provider' && n.rtt_ms !== null)
    })
    const { code, stdout } = await finished(cli(['ls', '--relay', relay.url]))
    expect(code).toBe(0)
    const [header, ...rows] = stdout.split('\n')
    expect(header!.split(/\s{2,}/)).toEqual(['NODE', 'ROLE', 'SERVICES', 'VERSION', 'RUNTIME', 'RTT'])
    const row = rows.find((r) => r.startsWith('cli-provider '))
    expect(row?.split(/\s{2,}/)).toEqual([
      'cli-provider',
      'server',
      'Matrix,Other',
      '0.1.0',
      'bun',
      expect.stringMatching(/^\d+(\.\d+)? ms$/),
    ])

    const json = await finished(cli(['ls', '--relay', relay.url, '--json']))
    expect(json.code).toBe(0)
    const listed = JSON.parse(json.stdout) as { nodes: { node_id: string; meta: Record<string, string> }[] }
    expect(listed.nodes.find((n) => n.node_id === 'cli-provider')?.meta).toMatchObject({ runtime: 'bun' })
  })

  test('call prints a unary result as one JSON line and exits 0', async () => {
    const { code, stdout } = await finished(cli(['call', 'Matrix.syncValue', '21', '--relay', relay.url]))
    expect(code).toBe(0)
    expect(stdout).toBe('42')
    const echo = await finished(
      cli(['call', 'Matrix.echo', '{"a":[1,"é"]}', '-1', '"x"', '--relay', relay.url]),
    )
    expect(echo.stdout).toBe('[{"a":[1,"é"]},-1,"x"]')
  })

  test('call prints a finite stream one value per line, pinned to a node with --node', async () => {
    const { code, stdout } = await finished(
      cli(['call', 'Matrix.observable', '3', '--node', 'cli-provider', '--relay', relay.url]),
    )
    expect(code).toBe(0)
    expect(stdout.split('\n')).toEqual(['0', '1', '2'])
  })

  test('Ctrl-C during a stream cancels it at the provider and exits 130', async () => {
    const from = provider.mark()
    const call = cli(['call', 'Matrix.endless', '"cli-cancel"', '20', '--timeout', '0', '--relay', relay.url])
    await call.waitForLine(/^2$/)
    await provider.waitForLine(/^STARTED cli-cancel$/, { from })
    call.kill('SIGINT')
    await provider.waitForLine(/^STOPPED cli-cancel$/, { from, timeoutMs: 3000 })
    const { code, stderr } = await finished(call, 5000)
    expect(code).toBe(130)
    expect(stderr).toContain('Cancelled Matrix.endless')
  })

  test('an application error prints CODE: message on stderr and exits 1', async () => {
    const { code, stdout, stderr } = await finished(
      cli(['call', 'Matrix.throwWithCode', '--relay', relay.url]),
    )
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr).toContain('E_CODED: coded')
  })

  test('an unknown service exits 1 with MICROSERVICE_OFFLINE after --wait', async () => {
    const { code, stderr } = await finished(
      cli(['call', 'Nope.missing', '--wait', '300', '--relay', relay.url]),
    )
    expect(code).toBe(1)
    expect(stderr).toMatch(/^MICROSERVICE_OFFLINE: No provider of Nope is connected to/m)
  })

  test('tail prints published messages as JSON lines', async () => {
    const tail = cli(['tail', 'cli-news', '--count', '2', '--relay', relay.url])
    const publisher = await startClient(relay.url)
    // The tail subscribes through the relay; publish once its subscription is in place.
    await until('the tail to subscribe', async () => {
      const health = (await (await fetch(`http://127.0.0.1:${relay.port}/health`)).json()) as {
        subscriptions: number
      }
      return health.subscriptions >= 1
    })
    publisher.mesh.publish('cli-news', { n: 1, text: 'first' })
    publisher.mesh.publish('cli-news', { n: 2, text: 'second' })
    const { code, stdout } = await finished(tail)
    expect(code).toBe(0)
    expect(stdout.split('\n')).toEqual(['{"n":1,"text":"first"}', '{"n":2,"text":"second"}'])
  })

  test('runs under plain node from the built package', async () => {
    if (!existsSync(built)) throw new Error(`${built} is missing: run \`bun run build\` first.`)
    const help = await finished(cli(['--help'], 'node'))
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('Usage: spider-mesh <command>')
    const { code, stdout } = await finished(cli(['call', 'Other.ping', '--relay', relay.url], 'node'))
    expect(code).toBe(0)
    expect(stdout).toBe('"pong"')
  })
})

describe('spider-mesh CLI command-line mistakes', () => {
  test('an unknown command, an unknown flag or a missing target exits 2 with the usage', async () => {
    const unknown = await finished(cli(['frobnicate']))
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('Unknown command "frobnicate"')
    expect(unknown.stderr).toContain('Usage: spider-mesh <command>')

    const flag = await finished(cli(['ls', '--bogus']))
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('Unknown flag --bogus')
    expect(flag.stderr).toContain('Usage: spider-mesh ls')

    const target = await finished(cli(['call']))
    expect(target.code).toBe(2)
    expect(target.stderr).toContain('call needs a target')

    const port = await finished(cli(['relay', '--port', 'eighty']))
    expect(port.code).toBe(2)
    expect(port.stderr).toContain('--port expects a number, got "eighty"')

    const json = await finished(cli(['call', 'Matrix.echo', 'hello']))
    expect(json.code).toBe(2)
    expect(json.stderr).toContain('Argument 1 is not JSON: hello')
  })

  test('every command has --help and exits 0', async () => {
    for (const command of ['relay', 'ls', 'call', 'tail', 'bench']) {
      const { code, stdout } = await finished(cli([command, '--help']))
      expect(code).toBe(0)
      expect(stdout).toStartWith(`Usage: spider-mesh ${command}`)
    }
  })

  test('an unreachable relay exits 1 with a message saying what to check', async () => {
    // A port that was just free: nothing listens there.
    const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
    const url = `ws://127.0.0.1:${probe.port}`
    probe.stop(true)
    const ls = await finished(cli(['ls', '--relay', url]))
    expect(ls.code).toBe(1)
    expect(ls.stderr).toContain('Could not reach the relay')
    const call = await finished(cli(['call', 'Matrix.whoami', '--wait', '300', '--relay', url]))
    expect(call.code).toBe(1)
    expect(call.stderr).toContain(`Could not connect to the relay at ${url}`)
  })

  test('relay on a port that is taken exits 1 with one message naming the port and what to do', async () => {
    const squatter = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response('') })
    try {
      const relay = await finished(cli(['relay', '--port', String(squatter.port)]))
      expect(relay.code).toBe(1)
      const lines = relay.stderr.split('\n').filter((l) => l.includes('could not listen'))
      expect(lines.length).toBe(1)
      expect(lines[0]).toContain(`127.0.0.1:${squatter.port}`)
      expect(lines[0]).toContain('pick another port')
    } finally {
      squatter.stop(true)
    }
  })
})

describe('spider-mesh relay with --tls-cert, --tls-key and --auth-token', () => {
  test('serves wss:// and https://, and accepts only nodes that send the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spider-mesh-tls-'))
    track('tls files', () => rmSync(dir, { recursive: true, force: true }))
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    const openssl = Bun.spawnSync(
      [
        'openssl',
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ].concat(['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert]),
      { stdout: 'ignore', stderr: 'pipe' },
    )
    if (openssl.exitCode !== 0)
      throw new Error(`openssl could not make a test certificate: ${openssl.stderr}`)
    const relayProc = cli([
      'relay',
      '--port',
      '0',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
      '--auth-token',
      's3cret',
    ])
    const port = (await relayProc.waitForLine(/listening on wss:\/\/127\.0\.0\.1:(\d+)/))[1]
    const url = `wss://127.0.0.1:${port}`
    // The self-signed certificate is trusted as a CA: verification stays on.
    const trust = { NODE_EXTRA_CA_CERTS: cert }

    const ls = await finished(cli(['ls', '--relay', url], 'bun', trust))
    expect(ls.code).toBe(0)
    expect(ls.stderr).toContain(`No nodes are connected to ${url}`)

    const refused = await finished(cli(['call', 'Nope.x', '--wait', '1000', '--relay', url], 'bun', trust))
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('If the relay authenticates, pass --token')

    // With the token the connection is accepted: the call gets as far as looking for a provider.
    const accepted = await finished(
      cli(['call', 'Nope.x', '--wait', '300', '--token', 's3cret', '--relay', url], 'bun', trust),
    )
    expect(accepted.code).toBe(1)
    expect(accepted.stderr).toMatch(/^MICROSERVICE_OFFLINE: No provider of Nope/m)
  })
})
