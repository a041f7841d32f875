import { afterEach, describe, expect, test } from 'bun:test'
import { decodeValue, ErrorCode, encodeFrame, encodeValue, FrameType, ResponseKind } from '@spider-mesh/core'
import { type FrameClient, RelayHarness } from './frame-client.test-helper.js'

// Responses and plain Requests are forwarded from their raw bytes (raw-frames.ts,
// inbound-frames.ts). These run the relay's rules on that path over real sockets: the same
// answers as the generic path, the payload bytes intact, coalesced messages in order.

const adapters = ['bun', 'node'] as const

/** One WebSocket message holding several frames back to back, as senders coalesce them. */
function coalesced(...frames: Parameters<typeof encodeFrame>[0][]): Uint8Array {
  return Buffer.concat(frames.map((frame) => encodeFrame(frame)))
}

async function pair(harness: RelayHarness): Promise<{ caller: FrameClient; provider: FrameClient }> {
  const { url } = await harness.relay()
  const provider = await harness.join(url, 'provider', ['Echo'], [], undefined, {
    Echo: { methods: ['echo'] },
  })
  const caller = await harness.join(url, 'caller')
  return { caller, provider }
}

describe.each(adapters)('raw forwarding (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('payloads of every size arrive byte for byte, both ways, with the ids mapped', async () => {
    const { caller, provider } = await pair(harness)
    for (const [i, size] of [0, 1, 511, 512, 513, 70_000, 300_000].entries()) {
      const payload = new Uint8Array(size).map((_, j) => (j * 13 + i) & 0xff)
      caller.send([FrameType.Request, 1000 + i, 'Echo', 'echo', null, payload])
      const request = await provider.next(FrameType.Request)
      expect(request.slice(2, 6)).toEqual(['Echo', 'echo', 'caller', payload] as never)
      const reply = payload.map((b) => b ^ 0xff)
      provider.send([FrameType.Response, request[1], ResponseKind.Value, reply])
      expect(await caller.next(FrameType.Response)).toEqual([
        FrameType.Response,
        1000 + i,
        ResponseKind.Value,
        reply,
      ])
    }
  })

  test('messages written from a reused buffer arrive intact while the socket is backed up', async () => {
    // The Bun adapter hands its socket a view of the batch buffer, which the next message
    // overwrites: this holds only because the socket copies before send returns.
    const { caller, provider } = await pair(harness)
    caller.send([FrameType.Request, 1, 'Echo', 'echo', null, encodeValue([])])
    const [, relayId] = await provider.next(FrameType.Request)
    const steps = 40
    const stepOf = (i: number) => new Uint8Array(256 * 1024).fill(i + 1)
    for (let i = 0; i < steps; i++) provider.send([FrameType.Response, relayId, ResponseKind.Next, stepOf(i)])
    provider.send([FrameType.Response, relayId, ResponseKind.Complete, null])
    for (let i = 0; i < steps; i++) {
      const [, id, kind, payload] = await caller.next(FrameType.Response)
      expect([id, kind, payload!.byteLength]).toEqual([1, ResponseKind.Next, 256 * 1024])
      expect(payload!.every((b) => b === i + 1)).toBe(true)
    }
    expect((await caller.next(FrameType.Response))[2]).toBe(ResponseKind.Complete)
  })

  test('a coalesced message mixing raw and decoded frames is handled in order', async () => {
    const { caller, provider } = await pair(harness)
    caller.sendRaw(
      coalesced(
        [FrameType.Request, 1, 'Echo', 'echo', null, encodeValue(['one'])],
        [FrameType.Request, 2, 'Echo', 'echo', 'provider', encodeValue(['two']), { meta: { tenant: 't1' } }],
        [FrameType.Ping, 77],
        [FrameType.Request, 3, 'Echo', 'echo', 'provider', encodeValue(['three'])],
      ),
    )
    const first = await provider.next(FrameType.Request)
    const second = await provider.next(FrameType.Request)
    const third = await provider.next(FrameType.Request)
    expect([first, second, third].map((frame) => decodeValue(frame[5]))).toEqual([
      ['one'],
      ['two'],
      ['three'],
    ])
    expect(second[6]).toEqual({ meta: { tenant: 't1' } })
    expect(await caller.next(FrameType.Pong)).toEqual([FrameType.Pong, 77])
    // The provider answers in one message too: a nil payload, a stream step, an error.
    provider.sendRaw(
      coalesced(
        [FrameType.Response, third[1], ResponseKind.Complete, null],
        [FrameType.Response, first[1], ResponseKind.Next, encodeValue('step')],
        [FrameType.Response, first[1], ResponseKind.Complete, null],
        [FrameType.Response, second[1], ResponseKind.Error, encodeValue({ code: 'X', message: 'no' })],
      ),
    )
    const answers = [
      await caller.next(FrameType.Response),
      await caller.next(FrameType.Response),
      await caller.next(FrameType.Response),
      await caller.next(FrameType.Response),
    ]
    expect(answers.map(([, id, kind]) => [id, kind])).toEqual([
      [3, ResponseKind.Complete],
      [1, ResponseKind.Next],
      [1, ResponseKind.Complete],
      [2, ResponseKind.Error],
    ])
    expect(answers[0]![3]).toBeNull()
    expect(decodeValue(answers[1]![3]!)).toBe('step')
  })

  test('the rules hold on the raw path: Hello first, fresh ids, answers only from the provider', async () => {
    const { url } = await harness.relay()
    const early = await harness.connect(url)
    early.send([FrameType.Request, 1, 'Echo', 'echo', null, encodeValue([])])
    const [, earlyCode, earlyMessage] = await early.next(FrameType.Error)
    expect(earlyCode).toBe(ErrorCode.PROTOCOL_ERROR)
    expect(earlyMessage).toContain('before Hello')

    const provider = await harness.join(url, 'provider', ['Echo'])
    const caller = await harness.join(url, 'caller')
    const stranger = await harness.join(url, 'stranger')
    caller.send([FrameType.Request, 9, 'Echo', 'echo', null, encodeValue([])])
    const [, relayId] = await provider.next(FrameType.Request)
    caller.send([FrameType.Request, 9, 'Echo', 'echo', null, encodeValue([])])
    const [, dupCode, dupMessage, dupId] = await caller.next(FrameType.Error)
    expect([dupCode, dupId]).toEqual([ErrorCode.PROTOCOL_ERROR, 9])
    expect(dupMessage).toContain('already pending')

    stranger.send([FrameType.Response, relayId, ResponseKind.Value, encodeValue('forged')])
    expect((await stranger.next(FrameType.Error))[2]).toContain('not routed to this node')
    provider.send([FrameType.Response, relayId, ResponseKind.Refused, null])
    expect((await provider.next(FrameType.Error))[2]).toContain('sent by relays only')
    // Neither reached the caller; the provider's real answer does.
    provider.send([FrameType.Response, relayId, ResponseKind.Value, encodeValue('real')])
    const [, id, kind, payload] = await caller.next(FrameType.Response)
    expect([id, kind, decodeValue(payload!)]).toEqual([9, ResponseKind.Value, 'real'])
    expect(await caller.quiet(FrameType.Response)).toEqual([])
  })

  test('an unroutable raw request is refused with its reason', async () => {
    const { url } = await harness.relay()
    const caller = await harness.join(url, 'caller')
    caller.send([FrameType.Request, 4, 'Nobody', 'home', null, encodeValue([])])
    const [, id, kind, payload] = await caller.next(FrameType.Response)
    expect([id, kind]).toEqual([4, ResponseKind.Refused])
    expect((decodeValue(payload!) as { code: string }).code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
  })
})
