import { ErrorCode, type SpiderMesh } from '@spider-mesh/core'
import {
  type ClusterAdapterOptions,
  ClusterAdapterWithHeartbeat,
  type ClusterMessage,
  type ClusterResponse,
  type Offset,
  type ServerId,
} from 'socket.io-adapter'
import { jsonLike } from './json-like.js'

/** What a {@link MeshAdapter} needs from its mesh: pub/sub (a `SpiderMesh` with a transporter). */
export type AdapterMesh = Pick<SpiderMesh, 'publish' | 'listen'>

/** Settings of one {@link MeshAdapter}; `createAdapter` builds them from its options. */
export interface MeshAdapterSettings {
  /** The first part of every topic name. */
  prefix: string
  /** Heartbeat settings, passed to Socket.IO's `ClusterAdapterWithHeartbeat` (only those given). */
  heartbeat: ClusterAdapterOptions
}

/** The namespace a Socket.IO adapter serves: what `io.adapter()` constructs it with. */
export interface AdapterNamespace {
  readonly name: string
}

/**
 * The topic every server of a namespace listens to: broadcasts, room changes, requests and
 * heartbeats.
 */
export function namespaceTopic(prefix: string, namespace: string): string {
  return `${prefix}#${namespace}#`
}

/**
 * The topic one server of a namespace (one adapter, by its uid) listens to for the responses to
 * its requests. The relay delivers a publish only to the nodes that subscribed, so a response
 * crosses the mesh once, to its requester, like the response channel of `@socket.io/redis-adapter`.
 */
export function responseTopic(prefix: string, namespace: string, uid: ServerId): string {
  return `${prefix}#${namespace}#${uid}#`
}

/**
 * A Socket.IO adapter for one namespace whose inter-server traffic goes over Spider Mesh pub/sub.
 * Socket.IO's own `ClusterAdapterWithHeartbeat` does the protocol (broadcasts with acks, room
 * changes, `fetchSockets`, `serverSideEmit`, server counting by heartbeat); this class only
 * carries its messages: to every server on the namespace topic, to one server on its response
 * topic. Create it with `createAdapter(mesh)`.
 */
export class MeshAdapter extends ClusterAdapterWithHeartbeat {
  readonly #mesh: AdapterMesh
  readonly #prefix: string
  readonly #topic: string
  readonly #listening: { unsubscribe(): void }[]

  constructor(nsp: AdapterNamespace, mesh: AdapterMesh, settings: MeshAdapterSettings) {
    super(nsp, settings.heartbeat)
    this.#mesh = mesh
    this.#prefix = settings.prefix
    this.#topic = namespaceTopic(settings.prefix, nsp.name)
    // Subscribed before init() publishes the first heartbeat: the Subscribe frame leaves before the
    // Publish on the same connection, so every answer to that heartbeat finds this server listening.
    this.#listening = [
      mesh.listen<ClusterMessage>(this.#topic).subscribe((message) => this.onMessage(message)),
      mesh
        .listen<ClusterResponse>(responseTopic(settings.prefix, nsp.name, this.uid))
        .subscribe((response) => this.onResponse(response)),
    ]
  }

  /** Publishes to every server of the namespace (the mesh hands it to this server too; it skips its own uid). */
  protected override doPublish(message: ClusterMessage): Promise<Offset> {
    // No offsets: connection state recovery needs a log of messages, which pub/sub does not keep
    // (as with the sharded Redis adapter).
    return this.#send(this.#topic, message).then(() => '')
  }

  /** Publishes to the one server that made the request, on its response topic. */
  protected override doPublishResponse(requesterUid: ServerId, response: ClusterResponse): Promise<void> {
    return this.#send(responseTopic(this.#prefix, this.nsp.name, requesterUid), response)
  }

  /** Tells the other servers this one leaves (they stop counting it at once), then stops listening. */
  override close(): void {
    super.close()
    for (const subscription of this.#listening) subscription.unsubscribe()
  }

  #send(topic: string, message: ClusterMessage | ClusterResponse): Promise<void> {
    try {
      try {
        this.#mesh.publish(topic, message)
      } catch (err) {
        // Socket.IO's JSON drops functions (an ack callback inside an answer, a method of a
        // payload), where the mesh codec refuses them: only then is a JSON-like copy sent.
        if ((err as { code?: unknown }).code !== ErrorCode.INVALID_ARGUMENTS) throw err
        this.#mesh.publish(topic, jsonLike(message))
      }
      return Promise.resolve()
    } catch (err) {
      // A closed mesh, a cycle, or a payload over the relay's limit: Socket.IO's adapter reports a
      // rejected publish in its debug log and serves its local sockets anyway.
      return Promise.reject(err)
    }
  }
}
