import { describe, expect, test } from 'bun:test'
import { hostname } from 'node:os'
import { FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import { RawSocket, spawn, until, useCleanup, within } from './harness/index.js'

useCleanup()

const root = new URL('..', import.meta.url).pathname
const source = `${root}packages/ws/src/bin/spider-mesh.ts`
const built = `${root}packages/ws/dist/bin/spider-mesh.js`

type Line = Record<string, unknown>

// Under Bun from source and under plain Node from dist: pino writes the lines on both.
for (const runtime of ['bun', 'node'] as const) {
  describe(`spider-mesh relay --log-format json (${runtime})`, () => {
    test('every line is one JSON object: start, a flood by a named node, stop', async () => {
      const cli = runtime === 'bun' ? [process.execPath, source] : ['node', built]
      // The format comes from LOG_FORMAT, the fallback of --log-format.
      const relay = spawn('json relay', [...cli, 'relay', '--port', '0', '--max-frames-per-second', '2'], {
        LOG_FORMAT: 'json',
      })
      const listening = JSON.parse(
        (await relay.waitForLine(/^\{.*"event":"relay_listening".*\}$/))[0],
      ) as Line
      const url = String(listening.url)
      const port = Number(new URL(url).port)
      expect(listening).toMatchObject({ level: 'info', relay: `${hostname()}:${port}` })
      expect(listening.msg).toBe(`Spider Mesh relay listening on ${url}`)

      // 10x maxFramesPerSecond from one node: the relay closes it (4429) and warns, naming it.
      const flooder = new RawSocket(url)
      await flooder.opened
      flooder.send([FrameType.Hello, PROTOCOL_VERSION, 'flooder', [], []])
      await flooder.next('the Welcome', (f) => f[0] === FrameType.Welcome)
      for (let i = 0; i < 40; i++) flooder.send([FrameType.Ping, i])
      expect((await within(3000, 'the flooder to be closed', flooder.closed)).code).toBe(4429)
      // waitForLine watches stdout; warnings go to stderr.
      const floodLine = () =>
        relay.lines.find((l) => l.stream === 'stderr' && l.text.includes('"event":"flood"'))
      await until('the flood warning on stderr', () => floodLine() !== undefined)
      const flood = JSON.parse(floodLine()!.text) as Line
      expect(flood).toMatchObject({ level: 'warn', node_id: 'flooder', limit: 20, relay: listening.relay })

      relay.kill('SIGTERM')
      expect(await within(5000, 'the relay to exit', relay.exited)).toBe(0)
      const lines = relay.lines.map((l) => ({ stream: l.stream, json: JSON.parse(l.text) as Line }))
      for (const { json } of lines) {
        expect(Object.keys(json)).toEqual(expect.arrayContaining(['time', 'level', 'event', 'relay', 'msg']))
        expect(Number.isNaN(Date.parse(String(json.time)))).toBe(false)
      }
      // Info on stdout, warnings on stderr: the streams of the text format.
      expect(lines.find((l) => l.json.event === 'flood')?.stream).toBe('stderr')
      expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.json.event)).toEqual([
        'relay_listening',
        'http_endpoints',
        'relay_stopped',
      ])
      expect(lines.at(-1)?.json).toMatchObject({ event: 'relay_stopped', signal: 'SIGTERM' })
    })
  })
}
