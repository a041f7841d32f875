/**
 * The caller of an interleaved A/B run (interleave.ts), copied into each checkout's bench/ so it
 * loads that checkout's packages: no imports but the packages and rxjs. Connects to RELAY_URL and
 * waits for lines on stdin: `RUN n` makes n serial `await proxy.echo(payload)` calls and prints
 * `ROUND <latencies in µs, comma-separated>`. Exits when stdin closes.
 */
import { RemoteServiceLinker, SpiderMesh, silentLogger } from '@spider-mesh/core'
import { WebsocketTransporter } from '@spider-mesh/ws/node'

const url = process.env.RELAY_URL!
const transporter = new WebsocketTransporter({ heartbeatIntervalMs: 30_000 })
const mesh = new SpiderMesh({ nodeId: `ab-caller-${process.pid}`, logger: silentLogger }).registerTransporter(
  transporter,
)
transporter.connect(url)
const proxy = RemoteServiceLinker.link<{ echo(payload: string): Promise<string> }>(mesh, {
  service: 'BenchEcho',
  timeout: 30_000,
})
await proxy.wait({ timeout: 15_000 })
const payload = 'x'.repeat(100)

async function round(n: number): Promise<string> {
  const latencies = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await proxy.echo(payload)
    latencies[i] = (performance.now() - t0) * 1000
  }
  return Array.from(latencies, (v) => v.toFixed(1)).join(',')
}

let queue = Promise.resolve()
let buffered = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk: string) => {
  buffered += chunk
  for (let at = buffered.indexOf('\n'); at !== -1; at = buffered.indexOf('\n')) {
    const [command, count] = buffered.slice(0, at).trim().split(' ')
    buffered = buffered.slice(at + 1)
    if (command === 'RUN') queue = queue.then(async () => console.log(`ROUND ${await round(Number(count))}`))
  }
})
process.stdin.on('end', () => process.exit(0))
console.log('READY')
