import { afterEach, expect, test } from 'bun:test'
import { range } from 'rxjs'
import { Microservice } from '../api/microservice.js'
import { decodeValue, encodeValue } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { ResponseKind, type RpcRequestPacket, type RpcResponsePacket } from '../protocol/packets.js'
import type { TransporterHost, TransportLink } from '../transport/transporter.js'
import { callContext } from './call-context.js'
import { SpiderMesh } from './spider-mesh.js'

@Microservice({ name: 'Served' })
class Served {
  reasons: unknown[] = []
  runs = 0
  twice(text: string) {
    this.runs++
    return text + text
  }
  count(n: number) {
    return range(0, n)
  }
  waitForStop() {
    const signal = callContext()!.signal
    signal.addEventListener('abort', () => this.reasons.push((signal.reason as MeshError).code))
    return new Promise(() => {})
  }
}

type Step = [unknown, number, number, unknown]
const meshes: SpiderMesh[] = []
afterEach(async () => {
  for (const mesh of meshes.splice(0)) await mesh.close({ drainTimeoutMs: 0 })
})

/** A mesh serving `Served` through a stand-in transporter; `respond` toggles the fast path. */
async function servedMesh(withRespond: boolean) {
  let host: TransporterHost | undefined
  const steps: Step[] = []
  const record = (replyTo: unknown, id: number, kind: number, payload?: Uint8Array) =>
    steps.push([replyTo, id, kind, payload === undefined ? undefined : decodeValue(payload)])
  const link: TransportLink = {
    send: async (packet) => {
      const response = packet as RpcResponsePacket
      record(response.reply_to, response.request_id, response.kind, response.payload)
      return { cancel: () => {} }
    },
    detach: () => {},
    ...(withRespond ? { respond: record } : {}),
  }
  const mesh = new SpiderMesh({ nodeId: 'served' })
  meshes.push(mesh)
  mesh.registerTransporter({
    attach: (h) => {
      host = h
      return link
    },
  })
  const served = new Served()
  await mesh.provide(served)
  const request = (id: number, method: string, args: unknown[], window?: number): RpcRequestPacket => ({
    type: 'request',
    request_id: id,
    service: 'Served',
    method,
    payload: encodeValue(args),
    reply_to: 'the-connection',
    ...(window === undefined ? {} : { window }),
  })
  return { host: host!, link, steps, served, request }
}

for (const withRespond of [true, false]) {
  const path = withRespond ? 'link.respond' : 'link.send'
  test(`serve() makes a call that runs only when run() is called, and answers through ${path}`, async () => {
    const { host, link, steps, served, request } = await servedMesh(withRespond)
    const call = host.serve!(request(1, 'twice', ['ab']), link)
    expect([call.service, call.method]).toEqual(['Served', 'twice'])
    expect(steps).toEqual([])
    call.run()
    // Run once only: a second run() does not call the method again.
    call.run()
    await Bun.sleep(0)
    expect(steps).toEqual([['the-connection', 1, ResponseKind.Value, 'abab']])
    expect(served.runs).toBe(1)
  })
}

test("a served call's credit lets a stream go on, and stop() ends it with the caller's reason", async () => {
  const { host, link, steps, served, request } = await servedMesh(true)
  const stream = host.serve!(request(2, 'count', [5], 2), link)
  stream.run()
  // A window of 2: two values, then it waits for credit.
  expect(steps.map((s) => s[3])).toEqual([0, 1])
  stream.credit(3)
  expect(steps.map((s) => s[3])).toEqual([0, 1, 2, 3, 4, undefined])
  expect(steps.at(-1)![2]).toBe(ResponseKind.Complete)

  const waiting = host.serve!(request(3, 'waitForStop', []), link)
  waiting.run()
  waiting.stop(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
  expect(served.reasons).toEqual([ErrorCode.MICROSERVICE_RPC_TIMEOUT])
})

test('serve() of an unknown method answers NOT_FOUND when run', async () => {
  const { host, link, steps, request } = await servedMesh(true)
  host.serve!(request(4, 'missing', []), link).run()
  expect(steps[0]![2]).toBe(ResponseKind.Error)
  expect((steps[0]![3] as { code: string }).code).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
})
