/**
 * What the router needs from one socket. Adapters implement it over their socket library; the
 * router never sees the library's types, so the routing logic is the same on every runtime.
 */
export interface RelayConnection {
  /**
   * Sends one binary message. Must not throw when the socket is already closing. May answer a
   * number as Bun's `send` does: a positive one says the whole message went to the kernel, so
   * nothing is queued and `bufferedAmount` need not be asked (a native call per message, the
   * relay's most frequent after `send` itself); -1 (queued) or 0 (dropped) have it asked.
   */
  send(bytes: Uint8Array): number | void
  /**
   * True when `send` copies the bytes before it returns (Bun's sockets do, into the socket or
   * its backpressure buffer): the relay then hands it a view of the batch buffer it reuses,
   * instead of a fresh copy per message. `ws` keeps a reference while a write is queued.
   */
  readonly copiesOnSend?: boolean
  /** Starts the closing handshake. The adapter still reports the close through `router.closed()`. */
  close(code: number, reason: string): void
  /** Bytes queued in the socket that the peer has not taken yet (the slow-consumer guard reads it). */
  bufferedAmount(): number
}
