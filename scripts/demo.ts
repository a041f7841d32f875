/**
 * `npm start`: runs the mesh — a relay, a demo provider and a demo client as three processes on
 * 127.0.0.1 — prints what the client gets back, then shuts everything down.
 * PORT picks the relay port (default 8787).
 */
import { join } from 'node:path'

const root = join(import.meta.dir, '..')
const port = process.env.PORT ?? '8787'
const url = `ws://127.0.0.1:${port}`
const children: ReturnType<typeof Bun.spawn>[] = []

function start(name: string, file: string, readyLine: RegExp, timeoutMs: number): Promise<void> {
  const child = Bun.spawn([process.execPath, join(root, file)], {
    cwd: root,
    env: { ...process.env, PORT: port, HOST: '127.0.0.1', RELAY_URL: url },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${timeoutMs} ms`)),
      timeoutMs,
    )
    const decoder = new TextDecoder()
    const relay = async (stream: ReadableStream<Uint8Array>, isErr: boolean) => {
      let buffer = ''
      for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk)
        let newline = buffer.indexOf('\n')
        while (newline >= 0) {
          const line = buffer.slice(0, newline)
          buffer = buffer.slice(newline + 1)
          ;(isErr ? console.error : console.log)(`[${name}] ${line}`)
          if (readyLine.test(line)) {
            clearTimeout(timer)
            resolve()
          }
          newline = buffer.indexOf('\n')
        }
      }
    }
    void relay(child.stdout as ReadableStream<Uint8Array>, false)
    void relay(child.stderr as ReadableStream<Uint8Array>, true)
    void child.exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with code ${code}`))
    })
  })
}

async function stopAll() {
  for (const child of children) child.kill('SIGTERM')
  await Promise.race([Promise.all(children.map((c) => c.exited)), new Promise((r) => setTimeout(r, 3000))])
  for (const child of children) child.kill('SIGKILL')
}

let code = 0
try {
  await start('relay', 'packages/ws/src/bin/relay.ts', /listening on/, 10_000)
  await start('provider', 'examples/demo/provider.ts', /provider ready/, 10_000)
  const client = start('client', 'examples/demo/client.ts', /demo finished/, 30_000)
  await client
  const exit = await children[2]!.exited
  if (exit !== 0) code = exit
} catch (err) {
  console.error(`demo: ${(err as Error).message}`)
  if (port === '8787') console.error('demo: is something else using port 8787? Try PORT=9000 npm start')
  code = 1
} finally {
  await stopAll()
}
process.exit(code)
