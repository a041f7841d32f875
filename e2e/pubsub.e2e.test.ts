import { describe, expect, test } from 'bun:test'
import { decodeValue, defineTopic, FrameType, Microservice, PROTOCOL_VERSION } from '@spider-mesh/core'
import type { Matrix } from './fixtures/services.js'
import {
  ADAPTERS,
  firstMatching,
  RawSocket,
  startClient,
  startProvider,
  startRelay,
  until,
  useCleanup,
} from './harness/index.js'

useCleanup()

const News = defineTopic<{ n: number; text: string }>('news')

@Microservice({ name: 'Matrix' })
class PassiveMatrix {
  whoami() {
    return 'passive client'
  }
}

for (const adapter of ADAPTERS) {
  describe(`pub/sub and connection roles (${adapter} relay)`, () => {
    test('pub/sub delivers to subscribed processes only, and stops after unsubscribe', async () => {
      const relay = await startRelay({ adapter })
      const subscriber = await startProvider({ relayUrl: relay.url, nodeId: 'sub-1', services: [] })
      const publisher = await startClient(relay.url)
      // A bare socket subscribed to another topic: it must never see a frame for `news`.
      const observer = new RawSocket(relay.url)
      await observer.opened
      observer.send([FrameType.Hello, PROTOCOL_VERSION, 'raw-observer', [], ['barrier']])
      await observer.next('welcome', (f) => f[0] === FrameType.Welcome)

      subscriber.write('LISTEN news')
      await until(
        'the relay to hold both subscriptions',
        async () => (await relay.stats()).subscriptions === 2,
      )

      const from = subscriber.mark()
      publisher.mesh.publish(News, { n: 1, text: 'héllo 🕷️' })
      publisher.mesh.publish('barrier', 'after news')
      await subscriber.waitForLine(/^MSG news (.*)$/, { from })
      expect(subscriber.matching(/^MSG news (.*)$/, from).map((m) => JSON.parse(m[1]!))).toEqual([
        { n: 1, text: 'héllo 🕷️' },
      ])
      // Frames from one sender are forwarded in order, so the barrier proves `news` was not sent here.
      const barrier = await observer.next(
        'the barrier message',
        (f) => f[0] === FrameType.Publish && f[1] === 'barrier',
      )
      expect(barrier[3]).toBe(publisher.mesh.nodeId)
      expect(decodeValue(barrier[2] as Uint8Array)).toBe('after news')
      expect(observer.frames.filter((f) => f[0] === FrameType.Publish && f[1] === 'news')).toEqual([])

      subscriber.write('UNLISTEN news')
      await until('the relay to drop the subscription', async () => (await relay.stats()).subscriptions === 1)
      const afterUnlisten = subscriber.mark()
      publisher.mesh.publish(News, { n: 2, text: 'nobody listens' })
      // The subscriber listens to the barrier now: it arrives after any `news` the relay would send.
      subscriber.write('LISTEN barrier')
      await until(
        'the relay to hold the barrier subscription',
        async () => (await relay.stats()).subscriptions === 2,
      )
      publisher.mesh.publish('barrier', 'second')
      await subscriber.waitForLine(/^MSG barrier "second"$/, { from: afterUnlisten })
      expect(subscriber.matching(/^MSG news/, afterUnlisten)).toEqual([])
    })

    test('isServerConnection separates passive clients (never routed to, not discovered) from mesh nodes', async () => {
      const relay = await startRelay({ adapter, passiveRole: true })
      await startProvider({ relayUrl: relay.url, nodeId: `real-provider-${adapter}` })
      const node = await startClient(relay.url)
      const nodeEvents: string[] = []
      node.transporter.discovery$.subscribe((e: { type: string; node_id: string }) =>
        nodeEvents.push(`${e.type} ${e.node_id}`),
      )

      // A passive client that also serves "Matrix": were it a mesh node, it would get half the calls.
      const passiveUrl = `${relay.url}/?role=passive`
      const passive = await startClient(passiveUrl, { nodeId: `passive-${adapter}` })
      await passive.mesh.provide(new PassiveMatrix())

      const matrix = node.link<Matrix>('Matrix')
      await matrix.wait({ timeout: 5000 })
      const answers = []
      for (let i = 0; i < 8; i++) answers.push(await matrix.whoami())
      expect(new Set(answers)).toEqual(new Set([`real-provider-${adapter}`]))
      expect(matrix.nodes.map((n) => n.node_id)).toEqual([`real-provider-${adapter}`])
      expect(nodeEvents.filter((e) => e.includes(`passive-${adapter}`))).toEqual([])

      // A passive client may still call mesh services, and still sees them.
      const fromPassive = passive.link<Matrix>('Matrix')
      await fromPassive.wait({ timeout: 5000 })
      expect(await fromPassive.whoami()).toBe(`real-provider-${adapter}`)
      // Pinned calls cannot reach it either.
      const pinned = node.link<Matrix>('Matrix', { node_id: `passive-${adapter}`, timeout: 2000 })
      const err = await pinned.whoami().then(
        () => ({ code: 'resolved' }),
        (e) => e,
      )
      expect(err.code).toBe('MICROSERVICE_OFFLINE')
      await firstMatching(matrix.watch(), 'the provider list', 1000, (nodes) => nodes.length === 1)
    })
  })
}
