/**
 * A random node id. `crypto.randomUUID` exists in Node, Bun and secure browser contexts, but not
 * in React Native or plain-http pages, so there is a fallback that needs no globals.
 */
export function randomNodeId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto
  if (typeof c?.randomUUID === 'function') return `node-${c.randomUUID()}`
  let id = ''
  for (let i = 0; i < 4; i++)
    id += Math.floor(Math.random() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0')
  return `node-${id}`
}
