/**
 * Imports a peer library from bench/node_modules. The specifier is a plain string so the root
 * typecheck passes on a clone where the peers are not installed (they are installed on demand by
 * `bun run bench:peers`); the callers describe the few members they use.
 */
export async function peerImport<T>(name: string): Promise<T> {
  const specifier: string = name
  return (await import(specifier)) as T
}
