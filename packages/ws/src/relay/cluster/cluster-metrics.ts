/** Counters of the cluster's traffic, behind `/metrics`. */
export class ClusterMetrics {
  /** Calls this relay sent to providers on other relays. */
  callsOut = 0
  /** Calls other relays sent to providers on this relay. */
  callsIn = 0
  /** Pub/sub messages this relay sent to the other relays. */
  publications = 0
  /** Pub/sub messages from other relays delivered here. */
  deliveriesIn = 0
}
