/**
 * What differs between the runtimes a bench process may run under: Bun, or real Node.js on the
 * built packages (the `-nodejs` systems, see node-scripts.ts). Everything else is the same code.
 */

/** Whether this process runs under Bun (else Node.js). */
export const IS_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

/**
 * Forces a full garbage collection, to read a steady RSS: `Bun.gc(true)`, or Node's `gc()`, which
 * exists because the bench starts node with `--expose-gc`.
 */
export function forceGc(): void {
  if (IS_BUN) {
    Bun.gc(true)
    return
  }
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('node was started without --expose-gc: cannot force a collection')
  gc()
}

/** The part of the W3C WebSocket client the bare bench sockets use. */
export interface BareSocket {
  binaryType: string
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: ArrayBufferLike | Uint8Array): void
  close(): void
}

/**
 * The WebSocket client class of this runtime: Bun's native one, or under Node the npm `ws`
 * package's (Node 20 has no global WebSocket, and the Node systems measure `ws` on both ends).
 */
export async function webSocketClass(): Promise<new (url: string) => BareSocket> {
  if (IS_BUN) return globalThis.WebSocket as unknown as new (url: string) => BareSocket
  const ws = await import('ws')
  return ws.WebSocket as unknown as new (
    url: string,
  ) => BareSocket
}
