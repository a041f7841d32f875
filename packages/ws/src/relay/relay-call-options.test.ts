import { afterEach, describe, expect, test } from 'bun:test'
import {
  decodeValue,
  ErrorCode,
  encodeValue,
  FrameType,
  PROTOCOL_VERSION,
  ResponseKind,
} from '@spider-mesh/core'
import { type FrameClient, RelayHarness } from './frame-client.test-helper.js'

/** Connects with `?access_token=` (what browsers send) and says Hello. */
async function joinAs(
  harness: RelayHarness,
  url: string,
  token: string,
  nodeId: string,
  services: string[] = [],
) {
  const client = await harness.connect(`${url}?access_token=${token}`)
  // A current provider announces its catalog (one without gets plain Requests: see below).
  client.send(
    services.length === 0
      ? [FrameType.Hello, PROTOCOL_VERSION, nodeId, services, []]
      : [FrameType.Hello, PROTOCOL_VERSION, nodeId, services, [], {}, null, { S: { methods: ['m'] } }],
  )
  client.welcome = await client.next(FrameType.Welcome)
  return client
}

const request = (caller: FrameClient, id: number, options?: object) =>
  caller.send(
    options === undefined
      ? [FrameType.Request, id, 'S', 'm', null, encodeValue([])]
      : [FrameType.Request, id, 'S', 'm', null, encodeValue([]), options],
  )

const CATALOG = { S: { methods: ['m'] } }

describe.each(['bun', 'node'] as const)('request options through the relay (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  test('deadline, metadata and window reach the provider; the relay stamps the principal, never the caller', async () => {
    const { url } = await harness.relay({
      authenticate: (req) =>
        ({ alice: { user: 'alice', roles: ['admin'] }, bob: 'bob' })[req.token ?? ''] ?? null,
    })
    const provider = await joinAs(harness, url, 'bob', 'p', ['S'])
    const caller = await joinAs(harness, url, 'alice', 'c')
    request(caller, 1, {
      deadline: 5000,
      meta: { trace: 't-1' },
      window: 16,
      principal: 'root',
    })
    const forwarded = await provider.next(FrameType.Request)
    expect(forwarded[6]).toEqual({
      deadline: 5000,
      meta: { trace: 't-1' },
      window: 16,
      principal: { user: 'alice', roles: ['admin'] },
    })
    // A plain call still carries the principal (the relay authenticated the caller)...
    request(caller, 2)
    expect((await provider.next(FrameType.Request))[6]).toEqual({
      principal: { user: 'alice', roles: ['admin'] },
    })
  })

  test('without authentication a plain call is forwarded with six fields', async () => {
    const { url } = await harness.relay()
    const provider = await harness.join(url, 'p', ['S'], [], undefined, CATALOG)
    const caller = await harness.join(url, 'c')
    request(caller, 1)
    expect(await provider.next(FrameType.Request)).toHaveLength(6)
  })

  test('a request whose deadline has passed is refused with MICROSERVICE_RPC_TIMEOUT and never delivered', async () => {
    const { url } = await harness.relay()
    const provider = await harness.join(url, 'p', ['S'], [], undefined, CATALOG)
    const caller = await harness.join(url, 'c')
    request(caller, 1, { deadline: 0 })
    const response = await caller.next(FrameType.Response)
    expect(response[2]).toBe(ResponseKind.Refused)
    expect((decodeValue(response[3]!) as { code: string }).code).toBe(ErrorCode.MICROSERVICE_RPC_TIMEOUT)
    expect(await provider.quiet(FrameType.Request)).toEqual([])
  })

  test('Credit: the relay forwards grants and ends a stream whose provider sends past its window', async () => {
    const { url } = await harness.relay()
    const provider = await harness.join(url, 'p', ['S'], [], undefined, CATALOG)
    const caller = await harness.join(url, 'c')
    request(caller, 1, { window: 2 })
    const forwarded = await provider.next(FrameType.Request)
    const relayId = forwarded[1]
    const next = (n: number) =>
      provider.send([FrameType.Response, relayId, ResponseKind.Next, encodeValue(n)])
    next(1)
    next(2)
    await caller.next(FrameType.Response, (f) => decodeValue(f[3]!) === 2)
    caller.send([FrameType.Credit, 1, 3])
    expect(await provider.next(FrameType.Credit)).toEqual([FrameType.Credit, relayId, 3])
    for (let n = 3; n <= 6; n++) next(n)
    // 2 + 3 granted: the sixth value is one too many.
    const ended = await caller.next(FrameType.Response, (f) => f[2] === ResponseKind.Error)
    expect((decodeValue(ended[3]!) as { code: string; message: string }).message).toContain(
      'than its caller granted',
    )
    const values = caller.inbox
      .filter((f) => f[0] === FrameType.Response && f[2] === ResponseKind.Next)
      .map((f) => decodeValue((f as [number, number, number, Uint8Array])[3]))
    expect(values).toEqual([1, 3, 4, 5]) // 2 was taken by the wait above
    expect((await provider.next(FrameType.Cancel))[1]).toBe(relayId)
    // A grant for a call that ended is ignored.
    caller.send([FrameType.Credit, 1, 1])
    expect(await provider.quiet(FrameType.Credit)).toEqual([])
  })

  test('a provider without a catalog (an older core) gets the plain six-field Request, and no credit is counted', async () => {
    const { url } = await harness.relay()
    const provider = await harness.join(url, 'old', ['S'])
    const caller = await harness.join(url, 'c')
    request(caller, 1, { window: 1, deadline: 5000, meta: { a: 'b' } })
    const forwarded = await provider.next(FrameType.Request)
    expect(forwarded).toHaveLength(6)
    for (let n = 1; n <= 3; n++)
      provider.send([FrameType.Response, forwarded[1], ResponseKind.Next, encodeValue(n)])
    await caller.next(FrameType.Response, (f) => f[3] !== null && decodeValue(f[3]) === 3)
    caller.send([FrameType.Credit, 1, 1])
    expect(await provider.quiet(FrameType.Credit)).toEqual([])
  })

  test("a Cancel's reason reaches a current provider; an older one gets the plain two-field Cancel", async () => {
    const { url } = await harness.relay()
    const current = await harness.join(url, 'p', ['S'], [], undefined, CATALOG)
    const caller = await harness.join(url, 'c')
    request(caller, 1)
    const toCurrent = await current.next(FrameType.Request)
    caller.send([FrameType.Cancel, 1, ErrorCode.MICROSERVICE_RPC_TIMEOUT])
    expect(await current.next(FrameType.Cancel)).toEqual([
      FrameType.Cancel,
      toCurrent[1],
      ErrorCode.MICROSERVICE_RPC_TIMEOUT,
    ])
    current.close()
    // Gone before the next call, so round-robin cannot pick it.
    await current.closed
    const old = await harness.join(url, 'old', ['S'])
    request(caller, 2)
    const toOld = await old.next(FrameType.Request)
    caller.send([FrameType.Cancel, 2, ErrorCode.MICROSERVICE_RPC_TIMEOUT])
    expect(await old.next(FrameType.Cancel)).toEqual([FrameType.Cancel, toOld[1]])
  })
})
