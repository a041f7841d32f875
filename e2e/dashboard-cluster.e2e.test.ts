import { describe, expect, test } from 'bun:test'
import { e2eOutPath, openBrowserPage } from './harness/browser.js'
import { relayFromProcess, spawn, startNatsServer, startProvider, useCleanup } from './harness/index.js'

useCleanup()

const relayBin = new URL('../packages/ws/src/bin/relay.ts', import.meta.url).pathname

describe('the live dashboard of a relay in a cluster, in headless Chromium', () => {
  test('shows the cluster state, and a node on another relay with that relay’s name', async () => {
    const nats = await startNatsServer()
    const start = (name: string) =>
      relayFromProcess(
        spawn(`dashboard relay ${name}`, [process.execPath, relayBin], {
          PORT: '0',
          HOST: '127.0.0.1',
          DASHBOARD: '1',
          NATS_URL: nats.url,
          CLUSTER_NAME: name,
        }),
      )
    const [a, b] = await Promise.all([start('A'), start('B')])
    await startProvider({ relayUrl: a.url, nodeId: 'far-provider' })
    const { page, log } = await openBrowserPage()
    const failing = (what: string) => (err: Error) => {
      throw new Error(`${what}: ${err.message}\nPage log:\n${log.join('\n') || '(empty)'}`)
    }
    await page.goto(`http://127.0.0.1:${b.port}/`)
    await page
      .waitForFunction(
        () => /cluster: connected, 2 relays/.test(document.getElementById('cluster')?.textContent ?? ''),
        undefined,
        {
          timeout: 5000,
        },
      )
      .catch(failing('the cluster state never showed'))
    const row = page.locator('#nodes tr', { hasText: 'far-provider' })
    await row.waitFor({ timeout: 5000 }).catch(failing('the node on relay A never appeared'))
    const cells = await row.locator('td').allTextContents()
    expect(cells[0]).toBe('far-provider')
    expect(cells[1]).toBe('A')
    expect(cells.join(' ')).toContain('Matrix')

    nats.kill()
    await page
      .waitForFunction(
        () => /degraded/.test(document.getElementById('cluster')?.textContent ?? ''),
        undefined,
        {
          timeout: 5000,
        },
      )
      .catch(failing('the dashboard never said degraded'))
    await page.screenshot({ path: e2eOutPath('dashboard-cluster.png'), fullPage: true })
  })
})
