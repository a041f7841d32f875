import { describe, expect, test } from 'bun:test'
import type { Matrix } from './fixtures/services.js'
import { e2eOutPath, openBrowserPage } from './harness/browser.js'
import { relayFromProcess, spawn, startClient, startProvider, useCleanup } from './harness/index.js'

useCleanup()

const relayBin = new URL('../packages/ws/src/bin/relay.ts', import.meta.url).pathname

describe('the live dashboard (GET / with DASHBOARD=1) in headless Chromium', () => {
  test('shows a provider started while the page is open, and its calls, updated in place', async () => {
    const relay = await relayFromProcess(
      spawn('dashboard relay', [process.execPath, relayBin], {
        PORT: '0',
        HOST: '127.0.0.1',
        HEARTBEAT_MS: '200',
        DASHBOARD: '1',
      }),
    )
    const { page, log } = await openBrowserPage()
    const failing = (what: string) => (err: Error) => {
      throw new Error(`${what}: ${err.message}\nPage log:\n${log.join('\n') || '(empty)'}`)
    }
    await page.goto(`http://127.0.0.1:${relay.port}/`)
    await page.waitForSelector('#status.ok', { timeout: 5000 }).catch(failing('the page never went live'))
    expect(await page.locator('#nodes tbody').textContent()).toContain('No nodes connected yet.')

    await startProvider({ relayUrl: relay.url, nodeId: 'dash-provider' })
    const row = page.locator('#nodes tr[data-id="dash-provider"]')
    await row.waitFor({ timeout: 5000 }).catch(failing('the provider never appeared'))
    expect(await row.textContent()).toContain('Matrix')
    // The same row is updated in place: once the relay measured the RTT it shows a figure.
    await page
      .waitForFunction(
        () => /\d ms/.test(document.querySelector('#nodes tr[data-id="dash-provider"]')?.textContent ?? ''),
        undefined,
        { timeout: 5000 },
      )
      .catch(failing('the RTT never appeared'))
    // Figures are rounded: two decimals at most (the relay rounds rtt_ms, the page formats it).
    const rtt = await row.locator('td').nth(6).textContent()
    expect(rtt).toMatch(/^\d+(\.\d{1,2})? ms$/)

    const client = await startClient(relay.url, { nodeId: 'dash-caller' })
    const matrix = client.link<Matrix>('Matrix')
    await matrix.wait({ timeout: 5000 })
    for (let i = 0; i < 25; i++) await matrix.syncValue(i)
    // Calls keep flowing (and a stream stays in flight) while the page is checked and captured.
    let flowing = true
    const trickle = (async () => {
      while (flowing) await matrix.slow(10)
    })()
    const stream = matrix.endless('dashboard', 50).subscribe()

    await page
      .waitForFunction(
        () => document.querySelectorAll('#calls tr[data-id="Matrix.syncValue"] td')[2]?.textContent === '25',
        undefined,
        { timeout: 5000 },
      )
      .catch(failing('the Matrix.syncValue row never showed 25 calls'))
    await page.locator('#calls tr[data-id="Matrix.endless"]').waitFor({ timeout: 5000 })
    const latencies = await page.locator('#calls tr[data-id="Matrix.syncValue"] td').allTextContents()
    for (const p of latencies.slice(-2)) expect(p).toMatch(/^\d+(\.\d{1,2})? ms$/)
    await page
      .waitForFunction(() => Number(document.getElementById('c-rate')?.textContent) > 0, undefined, {
        timeout: 5000,
      })
      .catch(failing('the call rate never rose above 0'))
    expect(await page.locator('#nodes tr[data-id="dash-caller"]').count()).toBe(1)

    await page.screenshot({ path: e2eOutPath('dashboard.png'), fullPage: true })
    stream.unsubscribe()
    flowing = false
    await trickle
  })

  test('shows name@version per service and flags a service whose providers differ', async () => {
    const relay = await relayFromProcess(
      spawn('dashboard relay', [process.execPath, relayBin], {
        PORT: '0',
        HOST: '127.0.0.1',
        DASHBOARD: '1',
      }),
    )
    await startProvider({ relayUrl: relay.url, nodeId: 'orders-old', services: ['OrdersV1'] })
    const { page } = await openBrowserPage()
    await page.goto(`http://127.0.0.1:${relay.port}/`)
    const old = page.locator('#nodes tr[data-id="orders-old"] .tag')
    await old.first().waitFor({ timeout: 5000 })
    expect(await old.first().textContent()).toBe('OrderService@1.4.0')
    expect(await page.locator('#nodes .tag.differs').count()).toBe(0)

    await startProvider({ relayUrl: relay.url, nodeId: 'orders-new', services: ['OrdersV2'] })
    await page.waitForFunction(
      () => document.querySelectorAll('#nodes .tag.differs').length === 2,
      undefined,
      {
        timeout: 5000,
      },
    )
    const flagged = page.locator('#nodes tr[data-id="orders-new"] .tag.differs')
    expect(await flagged.textContent()).toBe('OrderService@2.0.0 ≠')
    expect(await flagged.getAttribute('title')).toContain('differ in methods or version')
  })
})
