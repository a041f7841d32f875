import { afterEach, expect, test } from 'bun:test'
import {
  decodeValue,
  encodeFrame,
  encodeValue,
  type Frame,
  FrameType,
  ResponseKind,
  type RpcRequestPacket,
  type ServedCallControl,
  type ServedCallHandle,
  type TransporterHost,
  type TransportLink,
} from '@spider-mesh/core'
import { WebsocketTransporter } from '../node.js'
import { standInRelay } from './stand-in-relay.test-helper.js'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/**
 * A stand-in relay: welcomes the node, then sends it a Request for id 200 (answered at once by
 * the host), a Request for id 201, a Credit and a Cancel for 201, and collects what comes back.
 */
function requestingRelay(): { url: string; back: Frame[]; answered: Promise<void> } {
  const back: Frame[] = []
  let answered: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    answered = resolve
  })
  const relay = standInRelay({
    welcomed(send) {
      send(encodeFrame([FrameType.Request, 200, 'Svc', 'now', 'node-a', encodeValue(['x'])]))
      send(encodeFrame([FrameType.Request, 201, 'Svc', 'later', 'node-a', encodeValue([])]))
      send(encodeFrame([FrameType.Credit, 201, 7]))
      send(encodeFrame([FrameType.Cancel, 201, 'MICROSERVICE_RPC_TIMEOUT']))
      // A Cancel for a call that ended is ignored: nothing reaches the host for it.
      send(encodeFrame([FrameType.Cancel, 200]))
      send(encodeFrame([FrameType.Ping, 9]))
    },
    frame(frame) {
      back.push(frame)
      if (frame[0] === FrameType.Pong) answered()
    },
  })
  cleanups.push(relay.stop)
  return { url: relay.url, back, answered: done }
}

function connect(host: TransporterHost, url: string): void {
  const transporter = new WebsocketTransporter({ onWarning: () => {} })
  const link = transporter.attach(host)
  cleanups.push(() => link.detach())
  transporter.connect(url)
}

const responses = (frames: Frame[]) =>
  frames
    .filter((f) => f[0] === FrameType.Response)
    .map((f) => [f[1], f[2], f[3] == null ? null : decodeValue(f[3] as Uint8Array)])

test('a host with serve() is served through its call objects: run after registration, credit and stop reach them', async () => {
  const { url, back, answered } = requestingRelay()
  const events: string[] = []
  const host: TransporterHost = {
    nodeId: 'served-node',
    handleRequest: () => {
      throw new Error('handleRequest must not be used when the host has serve()')
    },
    serve(packet: RpcRequestPacket, link: TransportLink): ServedCallControl {
      events.push(`serve ${packet.method}`)
      return {
        service: packet.service,
        method: packet.method,
        run() {
          events.push(`run ${packet.method}`)
          // Answered synchronously, through the fast path: it must find the call registered.
          if (packet.method === 'now')
            link.respond!(packet.reply_to, packet.request_id, ResponseKind.Value, encodeValue('at once'))
        },
        credit: (items) => events.push(`credit ${packet.method} ${items}`),
        stop: (reason) => events.push(`stop ${packet.method} ${reason}`),
      }
    },
    handleResponse: () => {},
    handlePublish: () => {},
  }
  connect(host, url)
  await answered
  expect(responses(back)).toEqual([[200, ResponseKind.Value, 'at once']])
  expect(events).toEqual([
    'serve now',
    'run now',
    'serve later',
    'run later',
    'credit later 7',
    'stop later MICROSERVICE_RPC_TIMEOUT',
  ])
})

test('a host without serve() is served through the handle handleRequest returns', async () => {
  const { url, back, answered } = requestingRelay()
  const events: string[] = []
  const host: TransporterHost = {
    nodeId: 'handled-node',
    handleRequest(packet: RpcRequestPacket, link: TransportLink): ServedCallHandle {
      events.push(`handle ${packet.method}`)
      if (packet.method === 'now') {
        void link.send({
          type: 'response',
          request_id: packet.request_id,
          kind: ResponseKind.Value,
          payload: encodeValue('handled'),
          reply_to: packet.reply_to,
        })
      }
      const handle = ((reason?: string) => events.push(`stop ${packet.method} ${reason}`)) as ServedCallHandle
      handle.credit = (items) => events.push(`credit ${packet.method} ${items}`)
      return handle
    },
    handleResponse: () => {},
    handlePublish: () => {},
  }
  connect(host, url)
  await answered
  expect(responses(back)).toEqual([[200, ResponseKind.Value, 'handled']])
  expect(events).toEqual([
    'handle now',
    'handle later',
    'credit later 7',
    'stop later MICROSERVICE_RPC_TIMEOUT',
  ])
})

/** A stand-in relay that answers each Request with `[Response, id, Value, 'back']`. */
function answeringRelay(): string {
  const relay = standInRelay({
    providers: [['p', ['Svc']]],
    frame(frame, send) {
      if (frame[0] === FrameType.Request)
        send(encodeFrame([FrameType.Response, frame[1], ResponseKind.Value, encodeValue('back')]))
    },
  })
  cleanups.push(relay.stop)
  return relay.url
}

for (const withStep of [true, false]) {
  test(`a response reaches a host ${withStep ? 'through handleResponseStep' : 'without handleResponseStep, as a packet'}`, async () => {
    const url = answeringRelay()
    const got: unknown[] = []
    let arrived: () => void = () => {}
    const answered = new Promise<void>((resolve) => {
      arrived = resolve
    })
    const host: TransporterHost = {
      nodeId: 'calling-node',
      handleRequest: () => () => {},
      handleResponse: (packet) => {
        got.push(['packet', packet.request_id, packet.kind, decodeValue(packet.payload!)])
        arrived()
      },
      ...(withStep
        ? {
            handleResponseStep: (id: number, kind: number, payload: Uint8Array | undefined) => {
              got.push(['step', id, kind, decodeValue(payload!)])
              arrived()
            },
          }
        : {}),
      handlePublish: () => {},
    }
    const transporter = new WebsocketTransporter({ onWarning: () => {} })
    const link = transporter.attach(host)
    cleanups.push(() => link.detach())
    transporter.connect(url)
    const deadline = Date.now() + 5000
    while (transporter.unreachable() !== undefined && Date.now() < deadline) await Bun.sleep(10)
    link.call!({ type: 'request', request_id: 41, service: 'Svc', method: 'm', payload: encodeValue([]) })
    await answered
    expect(got).toEqual([[withStep ? 'step' : 'packet', 41, ResponseKind.Value, 'back']])
  })
}
