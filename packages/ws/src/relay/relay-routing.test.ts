import { afterEach, describe, expect, test } from 'bun:test'
import { decodeValue, ErrorCode, encodeValue, FrameType, ResponseKind } from '@spider-mesh/core'
import { type FrameClient, RelayHarness } from './frame-client.test-helper.js'

const adapters = ['bun', 'node'] as const

/** Sends an `echo` request from `caller`; the payload is the request id. */
function call(caller: FrameClient, id: number, service: string, destination: string | null = null): void {
  caller.send([FrameType.Request, id, service, 'echo', destination, encodeValue([id])])
}

describe.each(adapters)('relay routing (%s adapter)', (adapter) => {
  const harness = new RelayHarness(adapter)
  afterEach(() => harness.teardown())

  describe('discovery', () => {
    test('welcomes a node with every other server node and its services', async () => {
      const { url } = await harness.relay()
      await harness.join(url, 'a', ['Greeter'])
      await harness.join(url, 'b', ['Clock', 'Greeter'])
      const c = await harness.join(url, 'c', ['Other'])
      expect(c.welcome?.[1]).toBe(1)
      expect(c.welcome?.[2]).toBe('c')
      expect(c.welcome?.[3]).toEqual([
        ['a', ['Greeter']],
        ['b', ['Clock', 'Greeter']],
      ])
      expect(c.welcome?.[4]).toBe(30_000)
    })

    test('announces a join, a change and a leave once each, and never to the node itself', async () => {
      const { url } = await harness.relay()
      const watcher = await harness.join(url, 'watcher')
      const a = await harness.join(url, 'a', ['Greeter'])
      expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'a', ['Greeter']])

      a.send([FrameType.Services, ['Greeter', 'Clock']])
      expect(await watcher.next(FrameType.Node)).toEqual([FrameType.Node, 'a', ['Greeter', 'Clock']])

      // Same set in another order, and duplicates: not a change.
      a.send([FrameType.Services, ['Clock', 'Greeter', 'Clock']])
      expect(await watcher.quiet(FrameType.Node)).toEqual([])

      a.close()
      expect(await watcher.next(FrameType.Offline)).toEqual([FrameType.Offline, 'a'])
      expect(await watcher.quiet()).toEqual([])
      // a saw the watcher's nothing and never its own frames
      expect(a.inbox.filter((frame) => frame[0] === FrameType.Node && frame[1] === 'a')).toEqual([])
    })

    test('a node never receives its own Node or Offline frames', async () => {
      const { url } = await harness.relay()
      const a = await harness.join(url, 'a', ['Greeter'])
      a.send([FrameType.Services, ['Greeter', 'Clock']])
      a.send([FrameType.Goodbye, 'leaving'])
      expect(await a.quiet()).toEqual([])
    })

    test('Goodbye takes a node out of routing but lets its calls in flight finish', async () => {
      const { url } = await harness.relay()
      const provider = await harness.join(url, 'p', ['Echo'])
      const caller = await harness.join(url, 'c')
      call(caller, 1, 'Echo')
      const forwarded = await provider.next(FrameType.Request)
      provider.send([FrameType.Goodbye, 'draining'])
      expect(await caller.next(FrameType.Offline)).toEqual([FrameType.Offline, 'p'])

      call(caller, 2, 'Echo')
      const refused = await caller.next(FrameType.Response, (frame) => frame[1] === 2)
      expect(decodeValue(refused[3]!)).toMatchObject({ code: ErrorCode.MICROSERVICE_OFFLINE })

      provider.send([FrameType.Response, forwarded[1], ResponseKind.Value, encodeValue('late but fine')])
      const answer = await caller.next(FrameType.Response, (frame) => frame[1] === 1)
      expect(decodeValue(answer[3]!)).toBe('late but fine')
    })
  })

  describe('rpc', () => {
    test('forwards a request with a relay id and the stamped caller, and the response back', async () => {
      const { url, server } = await harness.relay()
      const provider = await harness.join(url, 'provider', ['Echo'])
      const caller = await harness.join(url, 'caller')
      const payload = encodeValue(['hi', { deep: [1, 2] }])
      caller.send([FrameType.Request, 41, 'Echo', 'say', null, payload])

      const [, relayId, service, method, source, forwardedPayload] = await provider.next(FrameType.Request)
      expect([service, method, source]).toEqual(['Echo', 'say', 'caller'])
      expect(forwardedPayload).toEqual(payload)
      expect(server.stats().pending).toBe(1)

      provider.send([FrameType.Response, relayId, ResponseKind.Next, encodeValue('one')])
      provider.send([FrameType.Response, relayId, ResponseKind.Complete, null])
      const first = await caller.next(FrameType.Response)
      const second = await caller.next(FrameType.Response)
      expect([first[1], first[2], decodeValue(first[3]!)]).toEqual([41, ResponseKind.Next, 'one'])
      expect([second[1], second[2], second[3]]).toEqual([41, ResponseKind.Complete, null])
      expect(server.stats().pending).toBe(0)
    })

    for (const count of [2, 3]) {
      test(`round-robins over ${count} providers`, async () => {
        const { url } = await harness.relay()
        const providers: FrameClient[] = []
        for (let i = 0; i < count; i++) providers.push(await harness.join(url, `p${i}`, ['Echo']))
        const caller = await harness.join(url, 'caller')
        for (let id = 1; id <= count * 4; id++) call(caller, id, 'Echo')
        for (const provider of providers) {
          for (let i = 0; i < 4; i++) await provider.next(FrameType.Request)
        }
        for (const provider of providers) expect(await provider.quiet(FrameType.Request)).toEqual([])
      })
    }

    test('routes to the caller itself when it is a provider too', async () => {
      const { url } = await harness.relay()
      const node = await harness.join(url, 'self', ['Echo'])
      call(node, 7, 'Echo')
      const [, , , , source] = await node.next(FrameType.Request)
      expect(source).toBe('self')
    })

    test('routes a pinned call to the named node only', async () => {
      const { url } = await harness.relay()
      const a = await harness.join(url, 'a', ['Echo'])
      const b = await harness.join(url, 'b', ['Echo'])
      const caller = await harness.join(url, 'caller')
      for (let id = 1; id <= 3; id++) call(caller, id, 'Echo', 'b')
      for (let i = 0; i < 3; i++) await b.next(FrameType.Request)
      expect(await a.quiet(FrameType.Request)).toEqual([])
    })

    test('answers MICROSERVICE_OFFLINE when nobody provides the service', async () => {
      const { url, server } = await harness.relay()
      const caller = await harness.join(url, 'caller')
      call(caller, 5, 'Missing')
      const [, id, kind, payload] = await caller.next(FrameType.Response)
      // Refused: the request reached no provider (a retry cannot run it twice).
      expect([id, kind]).toEqual([5, ResponseKind.Refused])
      expect(decodeValue(payload!)).toEqual({
        code: ErrorCode.MICROSERVICE_OFFLINE,
        message: 'No provider for service "Missing"',
      })
      expect(server.stats().pending).toBe(0)
    })

    test('answers MICROSERVICE_OFFLINE for a pinned node that is not connected', async () => {
      const { url } = await harness.relay()
      await harness.join(url, 'a', ['Echo'])
      const caller = await harness.join(url, 'caller')
      call(caller, 5, 'Echo', 'ghost')
      const [, , kind, payload] = await caller.next(FrameType.Response)
      expect(kind).toBe(ResponseKind.Refused)
      const error = decodeValue(payload!) as { code: string; message: string }
      expect(error.code).toBe(ErrorCode.MICROSERVICE_OFFLINE)
      expect(error.message).toContain('"ghost"')
    })

    test('rejects a response from a socket the request was not routed to', async () => {
      const { url } = await harness.relay()
      const provider = await harness.join(url, 'provider', ['Echo'])
      const intruder = await harness.join(url, 'intruder')
      const caller = await harness.join(url, 'caller')
      call(caller, 1, 'Echo')
      const [, relayId] = await provider.next(FrameType.Request)

      intruder.send([FrameType.Response, relayId, ResponseKind.Value, encodeValue('forged')])
      const [, code, message, requestId] = await intruder.next(FrameType.Error)
      expect(code).toBe(ErrorCode.PROTOCOL_ERROR)
      expect(message).toContain(String(relayId))
      expect(requestId).toBe(relayId)
      expect(await caller.quiet(FrameType.Response)).toEqual([])

      provider.send([FrameType.Response, relayId, ResponseKind.Value, encodeValue('genuine')])
      const [, , , payload] = await caller.next(FrameType.Response)
      expect(decodeValue(payload!)).toBe('genuine')
    })

    test('forwards a cancel to the provider with the relay id and forgets the call', async () => {
      const { url, server } = await harness.relay()
      const provider = await harness.join(url, 'provider', ['Stream'])
      const caller = await harness.join(url, 'caller')
      call(caller, 9, 'Stream')
      const [, relayId] = await provider.next(FrameType.Request)
      caller.send([FrameType.Cancel, 9])
      expect(await provider.next(FrameType.Cancel)).toEqual([FrameType.Cancel, relayId])
      expect(server.stats().pending).toBe(0)

      // Values already on their way are dropped quietly: a normal race, not a protocol error.
      provider.send([FrameType.Response, relayId, ResponseKind.Next, encodeValue('late')])
      caller.send([FrameType.Cancel, 9])
      expect(await caller.quiet(FrameType.Response)).toEqual([])
      expect(await provider.quiet(FrameType.Error)).toEqual([])
      expect(await caller.quiet(FrameType.Error)).toEqual([])
    })

    test('fails the calls in flight with MICROSERVICE_OFFLINE when the provider drops', async () => {
      const { url, server } = await harness.relay()
      const provider = await harness.join(url, 'provider', ['Stream'])
      const caller = await harness.join(url, 'caller')
      call(caller, 1, 'Stream')
      call(caller, 2, 'Stream')
      await provider.next(FrameType.Request)
      await provider.next(FrameType.Request)
      provider.close()
      const errors = [await caller.next(FrameType.Response), await caller.next(FrameType.Response)]
      expect(errors.map((frame) => frame[1]).sort()).toEqual([1, 2])
      for (const [, , kind, payload] of errors) {
        expect(kind).toBe(ResponseKind.Error)
        expect(decodeValue(payload!)).toEqual({
          code: ErrorCode.MICROSERVICE_OFFLINE,
          message: 'Provider node "provider" disconnected during the call to "Stream.echo"',
        })
      }
      expect(server.stats().pending).toBe(0)
    })

    test('cancels the calls of a caller that drops', async () => {
      const { url, server } = await harness.relay()
      const provider = await harness.join(url, 'provider', ['Stream'])
      const caller = await harness.join(url, 'caller')
      call(caller, 1, 'Stream')
      const [, relayId] = await provider.next(FrameType.Request)
      caller.close()
      expect(await provider.next(FrameType.Cancel)).toEqual([FrameType.Cancel, relayId])
      expect(server.stats().pending).toBe(0)
    })
  })

  describe('pub/sub', () => {
    test('delivers to subscribers only, stamps the sender and skips it', async () => {
      const { url } = await harness.relay()
      const early = await harness.join(url, 'early', [], ['news'])
      const late = await harness.join(url, 'late')
      late.send([FrameType.Subscribe, 'news'])
      const other = await harness.join(url, 'other', [], ['sports'])
      const sender = await harness.join(url, 'sender', [], ['news'])
      // Subscribe is not acknowledged: a ping round trip proves the relay has processed it.
      late.send([FrameType.Ping, 1])
      await late.next(FrameType.Pong)

      const payload = encodeValue({ headline: 'relay ships' })
      sender.send([FrameType.Publish, 'news', payload, 'forged-source'])
      for (const subscriber of [early, late]) {
        const [, topic, received, source] = await subscriber.next(FrameType.Publish)
        expect([topic, source]).toEqual(['news', 'sender'])
        expect(received).toEqual(payload)
      }
      expect(await other.quiet(FrameType.Publish)).toEqual([])
      expect(await sender.quiet(FrameType.Publish)).toEqual([])
    })

    test('stops delivering after Unsubscribe', async () => {
      const { url, server } = await harness.relay()
      const listener = await harness.join(url, 'listener', [], ['news'])
      const sender = await harness.join(url, 'sender')
      expect(server.stats().subscriptions).toBe(1)
      listener.send([FrameType.Unsubscribe, 'news'])
      listener.send([FrameType.Ping, 1])
      await listener.next(FrameType.Pong)
      expect(server.stats().subscriptions).toBe(0)
      sender.send([FrameType.Publish, 'news', encodeValue(1), null])
      expect(await listener.quiet(FrameType.Publish)).toEqual([])
    })
  })

  describe('passive connections', () => {
    test('may call and subscribe but are never listed nor routed to', async () => {
      const { url } = await harness.relay({
        isServerConnection: (_socket, request) => !String(request.url).includes('passive'),
      })
      const provider = await harness.join(url, 'provider', ['Echo'])
      const passive = await harness.join(`${url}/?role=passive`, 'browser', ['Echo'], ['news'])
      expect(passive.welcome?.[3]).toEqual([['provider', ['Echo']]])
      // Joining, announcing services and leaving: the provider hears nothing about it.
      passive.send([FrameType.Services, ['Echo', 'More']])
      expect(await provider.quiet()).toEqual([])

      for (let id = 1; id <= 4; id++) call(provider, id, 'Echo')
      for (let i = 0; i < 4; i++) expect((await provider.next(FrameType.Request))[4]).toBe('provider')
      expect(await passive.quiet(FrameType.Request)).toEqual([])

      call(provider, 10, 'Echo', 'browser')
      const [, , kind] = await provider.next(FrameType.Response, (frame) => frame[1] === 10)
      expect(kind).toBe(ResponseKind.Refused)

      call(passive, 1, 'Echo')
      const [, relayId, , , source] = await provider.next(FrameType.Request)
      expect(source).toBe('browser')
      provider.send([FrameType.Response, relayId, ResponseKind.Value, encodeValue('for the browser')])
      expect(decodeValue((await passive.next(FrameType.Response))[3]!)).toBe('for the browser')

      provider.send([FrameType.Publish, 'news', encodeValue('hello'), null])
      expect((await passive.next(FrameType.Publish))[3]).toBe('provider')

      // Passive connections still hear discovery.
      await harness.join(url, 'late', ['Clock'])
      expect(await passive.next(FrameType.Node)).toEqual([FrameType.Node, 'late', ['Clock']])
      passive.close()
      expect(await provider.quiet(FrameType.Offline)).toEqual([])
    })
  })
})
