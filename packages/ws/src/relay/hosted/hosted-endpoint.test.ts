import { describe, expect, test } from 'bun:test'
import {
  decodeValue,
  ErrorCode,
  encodeValue,
  type Frame,
  FrameType,
  type RequestOptions,
  ResponseKind,
} from '@spider-mesh/core'
import type { CallEndpoint, PendingRequest } from '../call-endpoint.js'
import { CallRouter } from '../call-router.js'
import { RelayMetrics } from '../relay-metrics.js'
import { MAX_QUEUED_BYTES } from './hosted-endpoint.js'
import type { HostedCall, HostedService } from './hosted-service.js'
import { HostedServices } from './hosted-services.js'

/** A node as the call router sees it, keeping what it is sent. */
class Node implements CallEndpoint {
  readonly remote = false
  lastSeen = Date.now()
  readonly outgoing = new Map<number, PendingRequest>()
  readonly incoming = new Set<PendingRequest>()
  readonly access = null
  readonly frames: Frame[] = []
  constructor(readonly nodeId: string) {}
  get label() {
    return `node ${this.nodeId}`
  }
  sendFrame(frame: Frame): void {
    this.frames.push(frame)
  }
  /** The response steps it got, decoded: [kind, value]. */
  get steps(): [number, unknown][] {
    return this.frames
      .filter((f) => f[0] === FrameType.Response)
      .map((f) => [f[2] as number, f[3] === null ? null : decodeValue(f[3] as Uint8Array)])
  }
}

/** A router whose every `$` call goes to the hosted services, and a test service that records its calls. */
function setUp(serve: (call: HostedCall) => void) {
  const calls: HostedCall[] = []
  const ended: string[] = []
  const service: HostedService = {
    name: '$test',
    serve(call) {
      calls.push(call)
      call.whenEnded(() => ended.push(call.method))
      serve(call)
    },
  }
  const hosted = new HostedServices(() => router)
  hosted.add(service)
  const errors: string[] = []
  const router: CallRouter = new CallRouter({
    metrics: new RelayMetrics(),
    maxInFlight: 100,
    pendingTtlMs: 50,
    route: (_caller, name) => hosted.endpoint(name),
    protocolError: (_peer, message) => errors.push(message),
    onEnd: () => {},
  })
  const caller = new Node('caller')
  const call = (id: number, method: string, args: unknown, options?: RequestOptions) =>
    router.request(
      caller,
      options === undefined
        ? [FrameType.Request, id, '$test', method, null, encodeValue(args)]
        : [FrameType.Request, id, '$test', method, null, encodeValue(args), options],
    )
  return { router, hosted, caller, call, calls, ended, errors }
}

describe('relay-hosted services', () => {
  test('a unary call is answered with one Value, with the caller and its arguments given to the service', () => {
    const { caller, call, calls } = setUp((c) => c.reply({ echoed: c.args, by: c.callerId }))
    call(1, 'echo', [1, 'two'])
    expect(calls[0]!.caller).toBe(caller)
    expect(caller.steps).toEqual([[ResponseKind.Value, { echoed: [1, 'two'], by: 'caller' }]])
  })

  test('a stream sends no more than the window: the rest waits for credit, then completes in order', () => {
    const { router, caller, call } = setUp((c) => {
      for (let i = 0; i < 5; i++) c.next(i)
      c.complete()
    })
    call(1, 'count', [], { window: 2 })
    expect(caller.steps).toEqual([
      [ResponseKind.Next, 0],
      [ResponseKind.Next, 1],
    ])
    router.credit(caller, [FrameType.Credit, 1, 2])
    expect(caller.steps.length).toBe(4)
    router.credit(caller, [FrameType.Credit, 1, 10])
    expect(caller.steps).toEqual([
      [ResponseKind.Next, 0],
      [ResponseKind.Next, 1],
      [ResponseKind.Next, 2],
      [ResponseKind.Next, 3],
      [ResponseKind.Next, 4],
      [ResponseKind.Complete, null],
    ])
    expect(router.size).toBe(0)
  })

  test('a cancel ends the call at the service (whenEnded) and nothing more reaches the caller', () => {
    const { router, caller, call, calls, ended } = setUp(() => {})
    call(1, 'watch', [], { window: 8 })
    router.cancel(caller, [FrameType.Cancel, 1])
    expect(ended).toEqual(['watch'])
    calls[0]!.next('late')
    expect(calls[0]!.ended).toBe(true)
    expect(caller.steps).toEqual([])
  })

  test('a caller that leaves ends its hosted calls', () => {
    const { router, caller, call, ended } = setUp(() => {})
    call(1, 'a', [])
    call(2, 'b', [])
    router.connectionLost(caller)
    expect(ended.sort()).toEqual(['a', 'b'])
  })

  test('a stream whose caller grants nothing fails with STREAM_OVERFLOW past the queue limit, and the service is told', () => {
    const { caller, call, calls, ended } = setUp(() => {})
    call(1, 'flood', [], { window: 1 })
    const chunk = new Uint8Array(1024 * 1024)
    for (let i = 0; i < 10 && !calls[0]!.ended; i++) calls[0]!.next(chunk)
    const last = caller.steps.at(-1)!
    expect(last[0]).toBe(ResponseKind.Error)
    expect((last[1] as { code: string }).code).toBe(ErrorCode.STREAM_OVERFLOW)
    expect(ended).toEqual(['flood'])
    expect(MAX_QUEUED_BYTES).toBe(8 * 1024 * 1024)
  })

  test('typed errors carry code, message and data; a bug in a service costs only that call', () => {
    const { caller, call } = setUp((c) => {
      if (c.method === 'conflict') c.fail('VERSION_CONFLICT', 'stale', { version: 7 })
      else throw new Error('oops')
    })
    call(1, 'conflict', [])
    call(2, 'buggy', [])
    expect(caller.steps).toEqual([
      [ResponseKind.Error, { code: 'VERSION_CONFLICT', message: 'stale', data: { version: 7 } }],
      [ResponseKind.Error, { message: '$test.buggy failed: oops' }],
    ])
  })

  test('arguments that are not an array are refused with INVALID_ARGUMENTS before the service runs', () => {
    const { caller, call, calls } = setUp(() => {})
    call(1, 'x', { not: 'an array' })
    expect(calls).toEqual([])
    expect((caller.steps[0]![1] as { code: string }).code).toBe(ErrorCode.INVALID_ARGUMENTS)
  })

  test('an unknown $ name is refused with MICROSERVICE_NOT_FOUND naming the hosted services', () => {
    const { hosted } = setUp(() => {})
    const refusal = hosted.endpoint('$nope')
    expect('code' in refusal && refusal.code).toBe(ErrorCode.MICROSERVICE_NOT_FOUND)
    expect('message' in refusal && refusal.message).toContain('$test')
  })

  test('hosted streams are exempt from the pending TTL (a watch may stay quiet)', async () => {
    const { router, caller, call } = setUp(() => {})
    call(1, 'watch', [])
    await Bun.sleep(80)
    router.expire(Date.now())
    expect(router.size).toBe(1)
    expect(caller.steps).toEqual([])
  })
})
