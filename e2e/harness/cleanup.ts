import { afterAll, afterEach, beforeEach } from 'bun:test'

/** Something a test started that must be released even when the test fails. */
export type Release = () => void | Promise<void>

interface Tracked {
  label: string
  release: Release
  testScoped: boolean
}

const tracked = new Set<Tracked>()
let inTest = false

/**
 * Registers `release` to run at teardown: after the current test when called inside a test,
 * otherwise at the end of the describe block (see {@link useCleanup}). Returns an untrack function.
 */
export function track(label: string, release: Release): () => void {
  const entry: Tracked = { label, release, testScoped: inTest }
  tracked.add(entry)
  return () => {
    tracked.delete(entry)
  }
}

async function releaseWhere(select: (entry: Tracked) => boolean): Promise<void> {
  // Newest first: clients go before the relay they talk to, so nobody logs a needless reconnect.
  const entries = [...tracked].filter(select).reverse()
  const failures: string[] = []
  for (const entry of entries) {
    tracked.delete(entry)
    try {
      await entry.release()
    } catch (err) {
      failures.push(`${entry.label}: ${(err as Error).message}`)
    }
  }
  if (failures.length > 0) throw new Error(`Teardown failed:\n${failures.join('\n')}`)
}

/**
 * Call once at the top of every e2e file: everything started inside a test is released after
 * that test; everything started in `beforeAll` is released at the end of the file, or earlier by
 * {@link releaseSuite} in a describe's `afterAll`.
 */
export function useCleanup(): void {
  beforeEach(() => {
    inTest = true
  })
  afterEach(async () => {
    inTest = false
    await releaseWhere((entry) => entry.testScoped)
  })
  afterAll(() => releaseWhere(() => true))
}

/** Releases everything started outside tests so far (call from a describe's `afterAll`). */
export function releaseSuite(): Promise<void> {
  return releaseWhere((entry) => !entry.testScoped)
}
