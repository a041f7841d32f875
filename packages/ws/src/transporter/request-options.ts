import type { RequestOptions, RpcRequestPacket } from '@spider-mesh/core'

/**
 * The Request frame's options for a packet, or undefined for a plain call (the frame then has
 * six fields, as before). The deadline leaves as the time left, so clocks need not agree.
 */
export function optionsOf(packet: RpcRequestPacket): RequestOptions | undefined {
  const { version, deadline, meta, window, key, balance } = packet
  if (
    version === undefined &&
    deadline === undefined &&
    meta === undefined &&
    window === undefined &&
    key === undefined &&
    balance === undefined
  )
    return undefined
  const options: RequestOptions = {}
  if (version !== undefined) options.version = version
  if (deadline !== undefined) options.deadline = Math.max(0, deadline - Date.now())
  if (meta !== undefined) options.meta = meta
  if (window !== undefined) options.window = window
  if (key !== undefined) options.key = key
  if (balance !== undefined) options.balance = balance
  return options
}

/** Copies what a provider needs from a received Request's options onto its packet. */
export function applyOptions(packet: RpcRequestPacket, options: RequestOptions): void {
  if (options.deadline !== undefined) packet.deadline = Date.now() + options.deadline
  if (options.meta !== undefined) packet.meta = options.meta
  if (options.window !== undefined) packet.window = options.window
  if (options.principal !== undefined) packet.principal = options.principal
}
