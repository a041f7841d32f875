import { type Frame, FrameType } from '@spider-mesh/core'
import type { ConnectionDiscipline } from './connection-discipline.js'
import { type AdmissionContext, admitHello } from './node-admission.js'
import type { RelayPeer } from './relay-peer.js'

const frameNames: Record<number, string> = Object.fromEntries(
  Object.entries(FrameType).map(([name, type]) => [type, name]),
)

/** A frame type's name for messages (`Request`, `Credit`, …). */
export function frameName(type: number): string {
  return frameNames[type] ?? String(type)
}

/**
 * The frames about the connection itself, which need no node id: heartbeats, Hello, and the
 * frames only relays send (a protocol error from a node). Answers whether the frame was one of
 * them (handled), or must wait for Hello (refused); false: the router dispatches it.
 */
export function handleConnectionFrame(
  peer: RelayPeer,
  frame: Frame,
  discipline: ConnectionDiscipline,
  admission: AdmissionContext,
): boolean {
  switch (frame[0]) {
    case FrameType.Ping:
      peer.sendFrame([FrameType.Pong, frame[1]])
      return true
    case FrameType.Pong: {
      // Only the relay's own pings carry its clock; a node's stray Pong must not skew the figure.
      const rtt = performance.timeOrigin + performance.now() - frame[1]
      if (rtt >= 0 && rtt < 600_000) peer.rttMs = rtt
      return true
    }
    case FrameType.Hello:
      if (peer.nodeId !== null)
        discipline.protocolError(peer, 'Hello was already received on this connection')
      else admitHello(peer, frame, admission)
      return true
    case FrameType.Welcome:
    case FrameType.Node:
    case FrameType.Offline:
      discipline.protocolError(peer, `${frameName(frame[0])} frames are sent by the relay only`)
      return true
  }
  if (peer.nodeId === null) {
    discipline.protocolError(peer, `Got a ${frameName(frame[0])} frame before Hello: send Hello first`)
    return true
  }
  return false
}
