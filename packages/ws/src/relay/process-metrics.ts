import { collectDefaultMetrics, Registry } from 'prom-client'

let shared: Registry | undefined

/**
 * prom-client's process metrics (CPU, memory, file descriptors, event-loop lag, GC, heap,
 * version) in a registry of their own — never prom-client's global one, which the application
 * embedding a relay may use. One per process, made on the first scrape: the figures belong to
 * the process, not to one relay, and each `collectDefaultMetrics` starts an event-loop monitor
 * and a GC observer that are never stopped, so relays that are never scraped (tests, embedded
 * relays) start none. Checked under Bun as well as Node: every default metric works there (the
 * heap-space figures come from Bun's V8 compatibility layer, and `nodejs_version_info` reports the
 * Node version Bun emulates), so none is excluded.
 */
export function processMetrics(): Registry {
  if (!shared) {
    shared = new Registry()
    collectDefaultMetrics({ register: shared })
  }
  return shared
}
