/** The routing table sizes of a relay's GET /health (the figures that must return to a baseline). */
export interface RelayTables {
  connections: number
  nodes: number
  pending: number
  subscriptions: number
  services: number
}

/** Reads a relay's table sizes over HTTP, as an operator's health check would. */
export async function relayTables(port: number): Promise<RelayTables> {
  const response = await fetch(`http://127.0.0.1:${port}/health`)
  const body = (await response.json()) as RelayTables
  const { connections, nodes, pending, subscriptions, services } = body
  return { connections, nodes, pending, subscriptions, services }
}
