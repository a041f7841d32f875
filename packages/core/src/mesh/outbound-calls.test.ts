import { afterEach, expect, test } from 'bun:test'
import { RemoteServiceLinker } from '../api/remote-service-linker.js'
import { encodeValue } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import type { MeshError } from '../protocol/errors.js'
import { ResponseKind, type RpcRequestPacket, type RpcResponsePacket } from '../protocol/packets.js'
import type { TransporterHost, TransportLink } from '../transport/transporter.js'
import { silentLogger } from './logger.js'
import { SpiderMesh } from './spider-mesh.js'

// A link with the `call`/`cancel` fast path (and a `request` the mesh must then leave unused): it
// records what the mesh asks of it and answers only when the test says so.
function recordingLink() {
  const log: string[] = []
  let host: TransporterHost | undefined
  const calls: RpcRequestPacket[] = []
  const link: TransportLink = {
    send: () => Promise.resolve({ cancel: () => log.push('send-cancel') }),
    request: () => {
      log.push('request')
      return () => log.push('request-cancel')
    },
    call: (packet) => {
      log.push(`call ${packet.request_id}`)
      calls.push(packet)
    },
    cancel: (id, reason) => {
      log.push(reason === undefined ? `cancel ${id}` : `cancel ${id} ${reason}`)
    },
    detach: () => {},
  }
  const answer = (packet: RpcResponsePacket) => host!.handleResponse(packet)
  return {
    log,
    calls,
    answer,
    transporter: {
      attach(h: TransporterHost) {
        host = h
        return link
      },
    },
  }
}

const meshes: SpiderMesh[] = []
afterEach(async () => {
  for (const mesh of meshes.splice(0)) await mesh.close({ drainTimeoutMs: 0 })
})

function meshWith(link: ReturnType<typeof recordingLink>): SpiderMesh {
  const mesh = new SpiderMesh({ logger: silentLogger })
  mesh.registerTransporter(link.transporter)
  meshes.push(mesh)
  return mesh
}

interface Remote {
  echo(value: string): string
  ticks(): number
}

test('a link with call and cancel is sent each call with call(); an answered call is never cancelled', async () => {
  const link = recordingLink()
  const proxy = RemoteServiceLinker.link<Remote>(meshWith(link), { service: 'Remote' })
  const result = proxy.echo('a').then((value) => value)
  await Promise.resolve()
  const [packet] = link.calls
  expect(packet?.method).toBe('echo')
  link.answer({
    type: 'response',
    request_id: packet!.request_id,
    kind: ResponseKind.Value,
    payload: encodeValue('b'),
  })
  expect(await result).toBe('b')
  expect(link.log).toEqual([`call ${packet!.request_id}`])
})

test('unsubscribing cancels through cancel(id); a timeout cancels with its reason', async () => {
  const link = recordingLink()
  const mesh = meshWith(link)
  const proxy = RemoteServiceLinker.link<Remote>(mesh, { service: 'Remote' })
  const subscription = proxy.ticks().subscribe({ error: () => {} })
  const first = link.calls[0]!.request_id
  link.answer({ type: 'response', request_id: first, kind: ResponseKind.Next, payload: encodeValue(1) })
  subscription.unsubscribe()
  expect(link.log).toEqual([`call ${first}`, `cancel ${first}`])

  const timed = RemoteServiceLinker.link<Remote>(mesh, { service: 'Remote', timeout: 30 })
  const error = await timed.echo('x').then(
    () => undefined,
    (err: MeshError) => err,
  )
  expect(error?.code).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
  const second = link.calls[1]!.request_id
  expect(link.log.slice(2)).toEqual([
    `call ${second}`,
    `cancel ${second} ${ErrorCode.MICROSERVICE_RPC_TIMEOUT}`,
  ])
})

test('mesh.request answers a function and startRequest the call itself; either cancels until the call ends', async () => {
  const link = recordingLink()
  const mesh = meshWith(link)
  const sink = { next: () => {}, error: () => {}, complete: () => {} }
  const cancel = mesh.request('Remote', 'ticks', [], {}, sink)
  expect(typeof cancel).toBe('function')
  const first = link.calls[0]!.request_id
  cancel()
  cancel()
  const call = mesh.startRequest('Remote', 'ticks', [], {}, sink)
  const second = link.calls[1]!.request_id
  call.unsubscribe()
  // Ended by its provider: nothing left to cancel.
  const ended = mesh.startRequest('Remote', 'echo', ['x'], {}, sink)
  const third = link.calls[2]!.request_id
  link.answer({ type: 'response', request_id: third, kind: ResponseKind.Value, payload: encodeValue('y') })
  ended.unsubscribe()
  expect(link.log).toEqual([
    `call ${first}`,
    `cancel ${first}`,
    `call ${second}`,
    `cancel ${second}`,
    `call ${third}`,
  ])
})

test("the host's handleResponseStep delivers a response from its fields, as handleResponse does", async () => {
  let host: TransporterHost | undefined
  const calls: RpcRequestPacket[] = []
  const mesh = new SpiderMesh({ logger: silentLogger })
  meshes.push(mesh)
  mesh.registerTransporter({
    attach(h) {
      host = h
      return {
        send: async () => ({ cancel: () => {} }),
        call: (p) => calls.push(p),
        cancel: () => {},
        detach: () => {},
      }
    },
  })
  const proxy = RemoteServiceLinker.link<Remote>(mesh, { service: 'Remote' })
  const value = proxy.echo('a').then((v) => v)
  const stream: number[] = []
  const done = new Promise<void>((resolve) =>
    proxy.ticks().subscribe({ next: (n) => stream.push(n), complete: resolve }),
  )
  await Promise.resolve()
  const [echo, ticks] = calls
  host!.handleResponseStep!(echo!.request_id, ResponseKind.Value, encodeValue('from fields'))
  host!.handleResponseStep!(ticks!.request_id, ResponseKind.Next, encodeValue(1))
  host!.handleResponseStep!(ticks!.request_id, ResponseKind.Next, encodeValue(2))
  host!.handleResponseStep!(ticks!.request_id, ResponseKind.Complete, undefined)
  expect(await value).toBe('from fields')
  await done
  expect(stream).toEqual([1, 2])
  expect(mesh.pendingCalls).toBe(0)
})
