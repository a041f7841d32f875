import { describe, expect, test } from 'bun:test'
import type { ContractResults } from './fixtures/contract-calls.js'
import { openBrowserPage } from './harness/browser.js'
import { bundleFixture, nodeBuiltinsIn } from './harness/bundle.js'
import { startProvider, startRelay, track, useCleanup } from './harness/index.js'

useCleanup()

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spider Mesh browser proof</title></head>
<body><p>Spider Mesh browser proof</p><script type="module" src="/client.js"></script></body></html>`

describe('@spider-mesh/ws/browser in headless Chromium', () => {
  test('a bundled page calls a provider process through a relay process: unary, stream, error, cancel', async () => {
    const relay = await startRelay({ adapter: 'bun', heartbeatMs: 1000 })
    const provider = await startProvider({ relayUrl: relay.url, nodeId: 'browser-provider' })
    const bundle = await bundleFixture('browser/client.ts')
    expect(nodeBuiltinsIn(bundle)).toEqual([])

    const site = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      fetch(request) {
        const { pathname } = new URL(request.url)
        if (pathname === '/') return new Response(PAGE, { headers: { 'content-type': 'text/html' } })
        if (pathname === '/client.js') {
          return new Response(bundle, { headers: { 'content-type': 'text/javascript' } })
        }
        return new Response('not found', { status: 404 })
      },
    })
    track('browser proof site', () => site.stop(true))

    const { page, log } = await openBrowserPage()
    const from = provider.mark()
    await page.goto(
      `http://127.0.0.1:${site.port}/?relay=${encodeURIComponent(relay.url)}&tag=browser-cancel`,
    )
    const handle = await page
      .waitForFunction(() => (window as unknown as { __results?: unknown }).__results, undefined, {
        timeout: 15_000,
      })
      .catch((err: Error) => {
        throw new Error(`The page reported no results: ${err.message}\nPage log:\n${log.join('\n')}`)
      })
    const results = (await handle.jsonValue()) as ContractResults

    expect(results.failures).toEqual([])
    expect(results.unary).toBe(42)
    expect(results.stream).toEqual([0, 1, 2, 3])
    expect(results.error).toEqual({ code: 'E_CODED', message: 'coded' })
    expect(results.types).toEqual(['null', 'Date', 'Uint8Array', 'Map'])
    expect(results.cancelled).toEqual([0, 1, 2])
    expect(results.offline?.code).toBe('MICROSERVICE_OFFLINE')
    // The unsubscribe in the page stopped the provider's stream, and the page is still connected.
    await provider.waitForLine(/^STOPPED browser-cancel$/, { from, timeoutMs: 3000 })
    const directory = (await (await fetch(`http://127.0.0.1:${relay.port}/directory`)).json()) as {
      nodes: { node_id: string; meta: Record<string, string> }[]
    }
    expect(directory.nodes.find((n) => n.node_id === 'browser-client')?.meta.runtime).toBe('browser')
    await page.evaluate(() => (window as unknown as { __close: () => Promise<void> }).__close())
  })
})
