import type { NodeMeta } from '../protocol/frames.js'

/**
 * One node in the presence list of a topic, as `mesh.presence(topic)` emits it: a node listening
 * to the topic, or one that set presence state there.
 */
export interface PresenceMember {
  /** The node's id. */
  nodeId: string
  /** What the node said about itself (`new SpiderMesh({ meta })`, the transporter's `meta`). */
  meta: NodeMeta
  /** The node's presence state on this topic (`mesh.setPresence`), absent when it set none. */
  state?: unknown
  /** The name of the relay the node is connected to (set by the relay, not the node). */
  relay: string
  /** What the relay's `authenticate` returned for the node, when the relay authenticates. */
  principal?: unknown
}
