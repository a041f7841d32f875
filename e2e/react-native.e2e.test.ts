import { describe, expect, test } from 'bun:test'
import vm from 'node:vm'
import type { ContractResults } from './fixtures/contract-calls.js'
import { bundleFixture, nodeBuiltinsIn } from './harness/bundle.js'
import { startProvider, startRelay, useCleanup, within } from './harness/index.js'

useCleanup()

type Handler = ((event: unknown) => void) | null

/**
 * The W3C WebSocket as React Native's global provides it, backed by this process's WebSocket.
 * One shim is needed only because a vm context is a separate realm: a received ArrayBuffer is
 * re-created with the context's own `ArrayBuffer`, so the bundle's `instanceof ArrayBuffer` sees
 * what it would see in React Native, where there is a single realm.
 */
function realmWebSocket(context: vm.Context) {
  const ContextArrayBuffer = vm.runInContext('ArrayBuffer', context) as ArrayBufferConstructor
  const ContextUint8Array = vm.runInContext('Uint8Array', context) as Uint8ArrayConstructor
  return class WebSocket {
    static readonly CONNECTING = 0
    static readonly OPEN = 1
    static readonly CLOSING = 2
    static readonly CLOSED = 3
    onopen: Handler = null
    onmessage: Handler = null
    onclose: Handler = null
    onerror: Handler = null
    readonly #socket: globalThis.WebSocket

    constructor(url: string) {
      this.#socket = new globalThis.WebSocket(url)
      this.#socket.binaryType = 'arraybuffer'
      this.#socket.onopen = (event) => this.onopen?.(event)
      this.#socket.onerror = (event) => this.onerror?.(event)
      this.#socket.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason })
      this.#socket.onmessage = (event) => {
        const bytes = new Uint8Array(event.data as ArrayBuffer)
        const copy = new ContextArrayBuffer(bytes.byteLength)
        new ContextUint8Array(copy).set(bytes)
        this.onmessage?.({ data: copy })
      }
    }
    get binaryType() {
      return 'arraybuffer'
    }
    set binaryType(_value: string) {
      // React Native delivers binary messages as ArrayBuffer; the transporter asks for exactly that.
    }
    get readyState() {
      return this.#socket.readyState
    }
    get bufferedAmount() {
      return this.#socket.bufferedAmount
    }
    send(data: Uint8Array) {
      this.#socket.send(data)
    }
    close(code?: number, reason?: string) {
      this.#socket.close(code, reason)
    }
  }
}

describe('@spider-mesh/ws/react-native, bundled and run with only React Native globals', () => {
  test('the bundle has no Node built-ins and runs the contract calls through a relay process', async () => {
    const relay = await startRelay({ adapter: 'node', heartbeatMs: 1000 })
    const provider = await startProvider({ relayUrl: relay.url, nodeId: 'rn-provider' })
    // Metro resolves with the `react-native` condition; Bun.build with target browser stands in for it.
    const bundle = await bundleFixture('react-native/client.ts', ['react-native'])
    expect(nodeBuiltinsIn(bundle)).toEqual([])

    let report!: (outcome: { results?: ContractResults; close?: () => Promise<void>; error?: string }) => void
    const reported = new Promise<Parameters<typeof report>[0]>((resolve) => {
      report = resolve
    })
    const logged: string[] = []
    const context = vm.createContext({
      setTimeout,
      clearTimeout,
      setInterval,
      clearInterval,
      queueMicrotask,
      TextEncoder,
      TextDecoder,
      console: {
        log: (...args: unknown[]) => logged.push(args.join(' ')),
        info: (...args: unknown[]) => logged.push(args.join(' ')),
        debug: () => {},
        warn: (...args: unknown[]) => logged.push(`warn: ${args.join(' ')}`),
        error: (...args: unknown[]) => logged.push(`error: ${args.join(' ')}`),
      },
      __contract: { relayUrl: relay.url, cancelTag: 'rn-cancel' },
      __report: report,
    })
    context.WebSocket = realmWebSocket(context)
    // Node's globals must really be absent: the bundle may not lean on them.
    for (const name of ['process', 'Buffer', 'require', 'module', '__dirname']) {
      expect(vm.runInContext(`typeof ${name}`, context)).toBe('undefined')
    }

    const from = provider.mark()
    vm.runInContext(bundle, context, { filename: 'react-native-bundle.js' })
    const outcome = await within(15_000, 'the React Native bundle to report', reported)
    if (outcome.error) throw new Error(`The bundle failed: ${outcome.error}\n${logged.join('\n')}`)
    const results = outcome.results!

    expect(results.failures).toEqual([])
    expect(results.unary).toBe(42)
    expect(results.stream).toEqual([0, 1, 2, 3])
    expect(results.error).toEqual({ code: 'E_CODED', message: 'coded' })
    expect(results.types).toEqual(['null', 'Date', 'Uint8Array', 'Map'])
    expect(results.cancelled).toEqual([0, 1, 2])
    expect(results.offline?.code).toBe('MICROSERVICE_OFFLINE')
    await provider.waitForLine(/^STOPPED rn-cancel$/, { from, timeoutMs: 3000 })
    const directory = (await (await fetch(`http://127.0.0.1:${relay.port}/directory`)).json()) as {
      nodes: { node_id: string; meta: Record<string, string> }[]
    }
    expect(directory.nodes.find((n) => n.node_id === 'react-native-client')?.meta.runtime).toBe(
      'react-native',
    )
    await outcome.close?.()
  })
})
