import { peerImport } from './peer-import.js'

/** The members of a Moleculer ServiceBroker the bench uses. */
export interface Broker {
  createService(schema: object): void
  start(): Promise<void>
  call(action: string, params: object): Promise<unknown>
  waitForServices(name: string, timeoutMs: number): Promise<void>
  transit: { tx: { opts: { port: number } } }
}

/**
 * A Moleculer broker on the TCP transporter with UDP discovery off: peers are found through the
 * static `urls` (`host:port/nodeID`), so nothing depends on multicast working on this machine.
 */
export async function createBroker(nodeID: string, urls: string[]): Promise<Broker> {
  const { ServiceBroker } = await peerImport<{ ServiceBroker: new (options: object) => Broker }>('moleculer')
  return new ServiceBroker({
    nodeID,
    logger: false,
    transporter: { type: 'TCP', options: { udpDiscovery: false, port: 0, urls } },
  })
}
