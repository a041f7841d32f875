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
