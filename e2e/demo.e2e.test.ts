import { describe, expect, test } from 'bun:test'
import { createServer } from 'node:net'
import { spawn, useCleanup } from './harness/index.js'

useCleanup()

const root = new URL('..', import.meta.url).pathname

/** A port that was free a moment ago (the demo takes a fixed PORT, as `npm start` users do). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

describe('the README run command (npm start)', () => {
  test('starts a relay, a provider and a client process; the client prints unary, stream and pub/sub results', async () => {
    const port = await freePort()
    const demo = spawn('demo', [process.execPath, `${root}scripts/demo.ts`], { PORT: String(port) })
    expect(await demo.exited).toBe(0)
    const out = demo.lines.map((l) => l.text)
    expect(out).toContain(`[relay] Spider Mesh relay listening on ws://127.0.0.1:${port}`)
    expect(out).toContain("[client] unary   hello('world') -> hello world, from demo-provider")
    expect(out.filter((l) => l.startsWith('[client] stream  countdown(5) -> '))).toEqual(
      [5, 4, 3, 2, 1, 0].map((n) => `[client] stream  countdown(5) -> ${n}`),
    )
    expect(
      out.some((l) => /^\[client\] pub\/sub chat <- PUB\/SUB WORKS \(from demo-provider, at /.test(l)),
    ).toBe(true)
    expect(out).toContain('[client] demo finished')
  })
})
