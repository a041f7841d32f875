import { describe, expect, test } from 'bun:test'
import {
  type ManagedProcess,
  relayFromProcess,
  spawn,
  startNatsServer,
  startProvider,
  until,
  useCleanup,
  within,
} from './harness/index.js'

useCleanup()

const source = new URL('../packages/ws/src/bin/spider-mesh.ts', import.meta.url).pathname

/** Runs the CLI from source under Bun as a real process, with no cluster settings inherited. */
function cli(args: string[], env: Record<string, string | undefined> = {}): ManagedProcess {
  return spawn(`spider-mesh ${args[0]}`, [process.execPath, source, ...args], {
    SPIDER_MESH_RELAY: undefined,
    SPIDER_MESH_TOKEN: undefined,
    NATS_URL: undefined,
    CLUSTER_NAME: undefined,
    CLUSTER_PREFIX: undefined,
    PREFER_LOCAL: undefined,
    ...env,
  })
}

/** Waits for the process to exit and returns its code and what it printed. */
async function finished(proc: ManagedProcess, ms = 10_000) {
  const code = await within(ms, `${proc.name} to exit`, proc.exited)
  const text = (stream: 'stdout' | 'stderr') =>
    proc.lines
      .filter((l) => l.stream === stream)
      .map((l) => l.text)
      .join('\n')
  return { code, stdout: text('stdout'), stderr: text('stderr') }
}

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

async function getJson<T>(port: number, path: string): Promise<T> {
  return (await (await fetch(`http://127.0.0.1:${port}${path}`)).json()) as T
}

describe('spider-mesh relay --nats: two CLI relays over a real nats-server', () => {
  test('relays configured by flags and by environment share one directory; ls on B shows the provider on A', async () => {
    const nats = await startNatsServer()
    const procA = cli(['relay', '--port', '0', '--nats', nats.url, '--cluster-name', 'A'])
    const procB = cli(['relay'], { PORT: '0', NATS_URL: nats.url, CLUSTER_NAME: 'B' })
    const [a, b] = await Promise.all([relayFromProcess(procA), relayFromProcess(procB)])
    for (const [proc, name] of [
      [procA, 'A'],
      [procB, 'B'],
    ] as const) {
      await proc.waitForLine(
        new RegExp(`^Cluster: relay "${name}" joins the cluster over NATS at ${literally(nats.url)} \\(`),
      )
    }

    await startProvider({ relayUrl: a.url, nodeId: 'cluster-cli-provider' })
    await until(
      'relay B to see relay A and list its provider',
      async () => {
        const health = await getJson<{ cluster?: { state: string; relays: number } }>(b.port, '/health')
        const { nodes } = await getJson<{ nodes: { node_id: string; relay: string }[] }>(b.port, '/directory')
        return (
          health.cluster?.state === 'connected' &&
          health.cluster.relays === 2 &&
          nodes.some((n) => n.node_id === 'cluster-cli-provider' && n.relay === 'A')
        )
      },
      10_000,
    )

    const { code, stdout } = await finished(cli(['ls', '--relay', b.url]))
    expect(code).toBe(0)
    const [cluster, header, ...rows] = stdout.split('\n')
    expect(cluster).toBe('cluster: connected, 2 relays')
    expect(header!.split(/\s{2,}/)).toEqual([
      'NODE',
      'RELAY',
      'ROLE',
      'SERVICES',
      'VERSION',
      'RUNTIME',
      'RTT',
    ])
    const row = rows.find((r) => r.startsWith('cluster-cli-provider '))?.split(/\s{2,}/)
    // B has no connection of its own to the provider, so no round trip to show.
    expect(row?.slice(0, 4)).toEqual(['cluster-cli-provider', 'A', 'server', 'Matrix'])
    expect(row?.at(-1)).toBe('–')

    // Without NATS, B still serves its own nodes and says the cluster is degraded.
    nats.kill()
    await until('relay B to report degraded', async () => {
      return (await getJson<{ status: string }>(b.port, '/health')).status === 'degraded'
    })
    const degraded = await finished(cli(['ls', '--relay', b.url]))
    expect(degraded.code).toBe(0)
    expect(degraded.stdout.split('\n')[0]).toMatch(
      /^cluster: degraded \(NATS (down|connecting)\), \d relays?$/,
    )
  })

  test('--nats with something that is not a NATS URL exits 2 and says what --nats expects', async () => {
    const { code, stdout, stderr } = await finished(cli(['relay', '--port', '0', '--nats', 'notaurl']))
    expect(code).toBe(2)
    expect(stdout).not.toContain('listening')
    expect(stderr).toContain('--nats expects a NATS server URL such as nats://127.0.0.1:4222')
    expect(stderr).toContain('got "notaurl"')
  })

  test('a bad NATS_URL names the variable', async () => {
    const { code, stderr } = await finished(
      cli(['relay', '--port', '0'], { NATS_URL: 'nats://ok:4222,notaurl' }),
    )
    expect(code).toBe(2)
    expect(stderr).toContain('NATS_URL="nats://ok:4222,notaurl" expects a NATS server URL')
  })
})
