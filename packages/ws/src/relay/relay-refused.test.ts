import { afterEach, describe, expect, test } from 'bun:test'
import { decodeValue, ErrorCode, encodeValue, FrameType, ResponseKind, silentLogger } from '@spider-mesh/core'
import { RelayHarness } from './frame-client.test-helper.js'

describe.each(['bun', 'node'] as const)('delivered or not (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('a provider cannot claim a call was never delivered: Refused from a node is a protocol error', async () => {
    const { url } = await harness.relay({ logger: silentLogger })
    const provider = await harness.join(url, 'p', ['Echo'])
    const caller = await harness.join(url, 'c')
    caller.send([FrameType.Request, 1, 'Echo', 'say', null, encodeValue([])])
    const [, relayId] = await provider.next(FrameType.Request)
    const forged = encodeValue({ code: ErrorCode.MICROSERVICE_OFFLINE, message: 'pretend nobody got it' })
    provider.send([FrameType.Response, relayId, ResponseKind.Refused, forged])
    const [, code, , requestId] = await provider.next(FrameType.Error)
    expect([code, requestId]).toEqual([ErrorCode.PROTOCOL_ERROR, relayId])
    expect(await caller.quiet(FrameType.Response)).toEqual([])
    // The call is still the provider's to answer.
    provider.send([FrameType.Response, relayId, ResponseKind.Value, encodeValue('real answer')])
    const [, , kind, payload] = await caller.next(FrameType.Response)
    expect([kind, decodeValue(payload!)]).toEqual([ResponseKind.Value, 'real answer'])
  })
})
