/** The state of one relay connection, as published on `transporter.status$`. */
export type ConnectionStatus = 'connecting' | 'connected' | 'error' | 'not_connected'

/** A change in the directory seen through one relay; never about this node itself. */
export interface DiscoveryEvent {
  /** `discovered`: a node joined; `changed`: its service list changed; `offline`: it left. */
  type: 'discovered' | 'changed' | 'offline'
  node_id: string
  services: string[]
  /** The relay this was seen through. */
  url: string
}
