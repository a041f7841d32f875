import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { track } from './cleanup.js'

/** Debian's Chromium; `.ci/run` installs it when missing. Tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium'

/** Where e2e tests leave artefacts for people to look at (gitignored). */
export const E2E_OUT = new URL('../../.e2e-out/', import.meta.url).pathname

// A quiet browser: no network of its own (updates, sync, QUIC probes), nothing from a profile.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
]

/** A headless Chromium page, with what the page logged; closed (and its profile removed) at teardown. */
export interface BrowserPage {
  page: Page
  context: BrowserContext
  /** Console messages and page errors, for failure messages. */
  log: string[]
}

/**
 * Opens headless Chromium with a fresh profile directory. Fails with the install command when
 * Chromium is missing, rather than skipping: the browser proof is part of the suite.
 */
export async function openBrowserPage(): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this).`,
    )
  }
  const profile = mkdtempSync(join(tmpdir(), 'spider-mesh-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  })
  track('chromium', async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? (await context.newPage())
  const log: string[] = []
  page.on('console', (message) => log.push(`[console.${message.type()}] ${message.text()}`))
  page.on('pageerror', (error) => log.push(`[pageerror] ${error.message}`))
  return { page, context, log }
}

/** The path of an artefact under `.e2e-out/`, creating the directory. */
export function e2eOutPath(file: string): string {
  mkdirSync(E2E_OUT, { recursive: true })
  return join(E2E_OUT, file)
}
