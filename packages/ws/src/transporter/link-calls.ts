import {
  binContent,
  ErrorCode,
  encodeValue,
  type Frame,
  FrameType,
  type RawFrame,
  type RequestOptions,
  ResponseKind,
  type RpcRequestPacket,
  type RpcResponsePacket,
  rawFrame,
  readRawFrame,
  type ServedCallControl,
  type ServedCallHandle,
  type TransporterHost,
  type TransportLink,
} from '@spider-mesh/core'
import { DeadlineWaiters } from '../deadline-waiters.js'
import { applyOptions, optionsOf } from './request-options.js'

/** What {@link LinkCalls} needs from the relay connection that owns it. */
export interface LinkCallsOwner {
  readonly host: TransporterHost | undefined
  /** The TransportLink the mesh answers requests through. */
  readonly link: TransportLink
  /** Where the mesh sends the responses of calls this node serves (the RelayLink). */
  readonly replyTo: unknown
  send(frame: Frame): void
  /** Sends `[Request, id, service, method, node, payload]` (FrameBatch.addRequest: no frame array). */
  sendRequest(id: number, service: string, method: string, node: string | null, payload: Uint8Array): void
  /** Sends `[Response, id, kind, payload]` (FrameBatch.addResponse). */
  sendResponse(id: number, kind: number, payload: Uint8Array | null): void
  /** Why a payload is too large for the relay, or undefined (see RelayLink). */
  tooLarge(payload: Uint8Array, nameLength: number): string | undefined
  /** Logs on this node (the transporter's onWarning). */
  warn(message: string): void
}

const NOOP = () => {}

/** A served call whose host has no `serve` (only `handleRequest`): its handle as a control. */
class HandledCall implements ServedCallControl {
  stop: ServedCallHandle = NOOP
  readonly service: string
  readonly method: string

  constructor(service: string, method: string) {
    this.service = service
    this.method = method
  }

  /** handleRequest ran it already. */
  run(): void {}

  credit(items: number): void {
    this.stop.credit?.(items)
  }
}

/**
 * The calls carried by one relay connection, in both directions: requests this node made that
 * await responses, and calls it serves that may be cancelled. When the connection is lost they
 * all end at once (outbound with `MICROSERVICE_OFFLINE`, served ones stopped).
 */
export class LinkCalls {
  readonly #owner: LinkCallsOwner
  /** Mesh request ids sent on this connection that have not ended. */
  readonly #outbound = new Set<number>()
  /** Relay request ids of calls this node is serving, with what stops each (the mesh's served call). */
  readonly #active = new Map<number, ServedCallControl>()
  /** Where takeRaw reads each raw frame (one per link: nothing allocated per frame). */
  readonly #raw: RawFrame = rawFrame()
  /** drain() callers waiting for the served calls to end. */
  readonly #idle = new DeadlineWaiters()

  constructor(owner: LinkCallsOwner) {
    this.#owner = owner
  }

  /** Sends a request; {@link cancel} cancels it (no function per call). */
  call(packet: RpcRequestPacket): void {
    const id = packet.request_id
    const tooLarge = this.#owner.tooLarge(packet.payload, packet.service.length + packet.method.length)
    if (tooLarge) {
      const host = this.#owner.host
      const payload = encodeValue({
        code: ErrorCode.PAYLOAD_TOO_LARGE,
        message: `The arguments of ${packet.service}.${packet.method}() are ${tooLarge}`,
      })
      // Refused: it never left this node, so a retry cannot run it twice.
      queueMicrotask(() =>
        host?.handleResponse({ type: 'response', request_id: id, kind: ResponseKind.Refused, payload }),
      )
      return
    }
    this.#outbound.add(id)
    const destination = packet.destination_node_id ?? null
    const options = optionsOf(packet)
    if (options === undefined)
      this.#owner.sendRequest(id, packet.service, packet.method, destination, packet.payload)
    else
      this.#owner.send([
        FrameType.Request,
        id,
        packet.service,
        packet.method,
        destination,
        packet.payload,
        options,
      ])
  }

  /** Tells the relay to cancel request `id` (`reason`: why, when said); false when it is not ours or ended. */
  cancel(id: number, reason?: string): boolean {
    if (!this.#outbound.delete(id)) return false
    this.#owner.send(reason ? [FrameType.Cancel, id, reason] : [FrameType.Cancel, id])
    return true
  }

  /** Sends one step of the response to a call this node is serving (from its fields: no packet per step). */
  respond(id: number, kind: number, payload: Uint8Array | undefined): void {
    const served = this.#active.get(id)
    // A call that ended (or was cancelled) sends nothing more.
    if (!served) return
    const tooLarge = payload && this.#owner.tooLarge(payload, 0)
    if (tooLarge) {
      // The relay would close this socket for it; end just this call with a clear error instead,
      // and say so here: the provider's author is the one who can fix it.
      const call = `${served.service}.${served.method}`
      this.#owner.warn(`The result of ${call} is ${tooLarge}; the caller gets PAYLOAD_TOO_LARGE`)
      this.#served(id)
      served.stop()
      const error = encodeValue({
        code: ErrorCode.PAYLOAD_TOO_LARGE,
        message: `The result of ${call} is ${tooLarge}`,
      })
      this.#owner.sendResponse(id, ResponseKind.Error, error)
      return
    }
    if (kind !== ResponseKind.Next) this.#served(id)
    this.#owner.sendResponse(id, kind, payload ?? null)
  }

  /**
   * A response step for a request this node made: the fields of a Response frame, from a decoded
   * frame or read from its bytes (takeRaw), so neither path builds what the other does not.
   */
  onResponse(id: number, kind: number, payload: Uint8Array | null): void {
    const host = this.#owner.host
    if (!this.#outbound.has(id) || !host) return
    if (kind !== ResponseKind.Next) this.#outbound.delete(id)
    if (host.handleResponseStep !== undefined) {
      host.handleResponseStep(id, kind, payload ?? undefined)
      return
    }
    const packet: RpcResponsePacket = {
      type: 'response',
      request_id: id,
      kind: kind as RpcResponsePacket['kind'],
    }
    if (payload !== null) packet.payload = payload
    host.handleResponse(packet)
  }

  /**
   * Responses and plain Requests (nearly all of a node's traffic) are read from their bytes
   * (readRawFrame): no frame array and no generic decode. The reader takes only what the generic
   * decoder would read as the same frame; the rest is decoded (RelayLink's #onFrame).
   */
  readonly takeRaw = (bytes: Uint8Array, pos: number): number => {
    const raw = this.#raw
    if (!readRawFrame(bytes, pos, raw)) return -1
    if (raw.type === FrameType.Response) this.onResponse(raw.id, raw.kind, binContent(bytes, raw))
    else this.onRequest(raw.id, raw.service, raw.method, raw.destination, binContent(bytes, raw)!)
    return raw.end
  }

  /** A request the relay routed to this node: the fields of a Request frame (see onResponse). */
  onRequest(
    id: number,
    service: string,
    method: string,
    source: string | null,
    payload: Uint8Array,
    options?: RequestOptions,
  ): void {
    const host = this.#owner.host
    if (!host) return
    const packet: RpcRequestPacket = {
      type: 'request',
      request_id: id,
      service,
      method,
      payload,
      reply_to: this.#owner.replyTo,
    }
    if (source !== null) packet.source_node_id = source
    if (options !== undefined) applyOptions(packet, options)
    if (host.serve !== undefined) {
      // Registered before it runs: a synchronous answer finds it in respond(), which removes it.
      // The served call is what stops it: no object more per call.
      const served = host.serve(packet, this.#owner.link)
      this.#active.set(id, served)
      served.run()
      return
    }
    // Registered before dispatch: a synchronous answer removes it again in respond().
    const served = new HandledCall(packet.service, packet.method)
    this.#active.set(id, served)
    served.stop = host.handleRequest(packet, this.#owner.link)
  }

  /** Flow control: the caller of request `id` accepts `items` more values; false when not ours. */
  credit(id: number, items: number): boolean {
    if (!this.#outbound.has(id)) return false
    this.#owner.send([FrameType.Credit, id, items])
    return true
  }

  /** The caller of a stream this node serves granted more credit. */
  onCredit(id: number, items: number): void {
    this.#active.get(id)?.credit(items)
  }

  /** The caller no longer wants a call this node serves (`reason`: why, when it said). */
  onCancel(id: number, reason?: string): void {
    const served = this.#active.get(id)
    if (!served) return
    this.#served(id)
    served.stop(reason)
  }

  /** Ends an outbound request with an error the relay reported; false when it is not ours. */
  fail(requestId: number, code: string, message: string): boolean {
    const host = this.#owner.host
    if (!this.#outbound.delete(requestId) || !host) return false
    // The relay answered the request itself (an Error frame about it): no provider saw it.
    host.handleResponse({
      type: 'response',
      request_id: requestId,
      kind: ResponseKind.Refused,
      payload: encodeValue({ code, message }),
    })
    return true
  }

  /** Resolves once every served call has ended, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#active.size === 0) return Promise.resolve()
    return this.#idle.wait(timeoutMs)
  }

  /** The connection is gone: outbound calls fail with MICROSERVICE_OFFLINE, served calls stop. */
  lost(message: string): void {
    const host = this.#owner.host
    if (this.#outbound.size > 0) {
      const payload = encodeValue({ code: ErrorCode.MICROSERVICE_OFFLINE, message })
      const ids = [...this.#outbound]
      this.#outbound.clear()
      for (const id of ids)
        host?.handleResponse({ type: 'response', request_id: id, kind: ResponseKind.Error, payload })
    }
    if (this.#active.size > 0) {
      const served = [...this.#active.values()]
      this.#active.clear()
      this.#idle.release()
      for (const call of served) call.stop()
    }
  }

  /** Forgets a call this node served; the last one releases a waiting drain(). */
  #served(id: number): void {
    this.#active.delete(id)
    if (this.#active.size === 0) this.#idle.release()
  }
}
