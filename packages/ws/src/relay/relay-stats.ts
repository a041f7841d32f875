/** Sizes of the router's tables, to watch load and to prove nothing leaks. */
export interface RelayStats {
  /** Open connections, with or without Hello. */
  connections: number
  /** Node ids bound to a connection (server-role and passive). */
  nodes: number
  /** Requests forwarded whose response stream has not ended. */
  pending: number
  /** (topic, connection) subscriptions. */
  subscriptions: number
  /** Services with at least one routable provider. */
  services: number
}
