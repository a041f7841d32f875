import {
  binContent,
  type CancelFrame,
  type CreditFrame,
  ErrorCode,
  encodeValue,
  FrameType,
  MAX_CREDIT,
  type RawFrame,
  type RequestFrame,
  type RequestOptions,
  type ResponseFrame,
  ResponseKind,
} from '@spider-mesh/core'
import type { CallEndpoint, Refusal } from './call-endpoint.js'
import { forwardedOptions } from './forwarded-options.js'
import { isHostedName } from './hosted/hosted-services.js'
import { type PendingRequest, PendingTable } from './pending-table.js'
import type { CallOutcome, RelayMetrics } from './relay-metrics.js'
import type { RelayPeer } from './relay-peer.js'

/** What the {@link CallRouter} needs from the relay around it. */
export interface CallRouterOptions {
  metrics: RelayMetrics
  maxInFlight: number
  pendingTtlMs: number
  /** The provider for a call: the pinned node or the next round-robin one, else why there is none. */
  route(
    caller: CallEndpoint,
    service: string,
    method: string,
    destination: string | null,
    options: RequestOptions | undefined,
  ): CallEndpoint | Refusal
  protocolError(peer: CallEndpoint, message: string, requestId: number | null): void
  /** Called after any call ends (the relay's drain waits for the last one). */
  onEnd(): void
}

/**
 * The call half of the relay: forwards requests to providers under relay-owned ids, answers
 * responses only from the provider a request went to, forwards cancels, ends every call of a
 * connection that leaves, and drops calls silent for longer than the TTL. Payloads are never
 * decoded: the frames are re-headed and the bytes passed through.
 */
export class CallRouter {
  readonly #options: CallRouterOptions
  readonly #pending = new PendingTable()

  constructor(options: CallRouterOptions) {
    this.#options = options
  }

  /** Calls forwarded whose response stream has not ended. */
  get size(): number {
    return this.#pending.size
  }

  /**
   * Forwards a request. `source` is the node id stamped for the provider: the caller's own, or,
   * for a call that came through the cluster, the node that made it on its relay.
   */
  request(
    caller: CallEndpoint,
    [, id, service, method, destination, payload, options]: RequestFrame,
    source: string | null = caller.nodeId,
  ): void {
    const request = this.#admit(caller, id, service, method, destination, options)
    if (request === undefined) return
    const { provider } = request
    // A provider without a catalog runs a core from before request options and flow control:
    // it would refuse a 7-field Request, and ignore credit. It gets the plain Request.
    const current = provider.catalog !== undefined
    if (current && options?.window !== undefined) request.credit = options.window
    const forwarded = current ? forwardedOptions(options, caller) : undefined
    forward(provider, request.relayId, service, method, source, payload, forwarded)
  }

  /**
   * A plain Request of a node here, read from its bytes (raw-frames.ts): routed as `request`
   * routes it, and re-headed with the payload bytes copied, never decoded.
   */
  requestRaw(caller: RelayPeer, bytes: Uint8Array, raw: RawFrame): void {
    const request = this.#admit(caller, raw.id, raw.service, raw.method, raw.destination, undefined)
    if (request === undefined) return
    const { provider, relayId } = request
    const forwarded = provider.catalog !== undefined ? forwardedOptions(undefined, caller) : undefined
    if (forwarded === undefined && provider.sendRawRequest !== undefined) {
      provider.sendRawRequest(relayId, bytes, raw, caller.encodedNodeId())
      return
    }
    // A Request's payload is a bin (raw-frames.ts takes no other), never nil.
    const payload = binContent(bytes, raw)!
    forward(provider, relayId, raw.service, raw.method, caller.nodeId, payload, forwarded)
  }

  /** The checks and routing of a new request; the pending call, or undefined once refused. */
  #admit(
    caller: CallEndpoint,
    id: number,
    service: string,
    method: string,
    destination: string | null,
    options: RequestOptions | undefined,
  ): PendingRequest | undefined {
    const { metrics, maxInFlight } = this.#options
    if (caller.outgoing.has(id)) {
      this.#options.protocolError(
        caller,
        `Request id ${id} is already pending on this connection: use a fresh id`,
        id,
      )
      return undefined
    }
    // A call from another relay was counted against its caller's limit there.
    if (!caller.remote && caller.outgoing.size >= maxInFlight) {
      this.refuse(
        caller,
        id,
        service,
        method,
        'overloaded',
        ErrorCode.OVERLOADED,
        `This connection already has ${caller.outgoing.size} calls in flight (the relay's maxInFlightPerConnection); ` +
          'wait for some to finish',
      )
      return undefined
    }
    // The relay's own services check their own rules (records, presence, topics).
    if (caller.access && !caller.access.canCall(service, method) && !isHostedName(service)) {
      const message = `${caller.label} may not call ${service}.${method}`
      this.refuse(caller, id, service, method, 'denied', ErrorCode.ACCESS_DENIED, message)
      return undefined
    }
    // The time left when the caller sent it: a call already past its deadline is not delivered.
    if (options?.deadline !== undefined && options.deadline <= 0) {
      const message = `The deadline of the call to ${service}.${method} had passed when it reached the relay; it was not delivered`
      this.refuse(caller, id, service, method, 'expired', ErrorCode.MICROSERVICE_RPC_TIMEOUT, message)
      return undefined
    }
    const provider = this.#options.route(caller, service, method, destination, options)
    if ('code' in provider) {
      this.refuse(caller, id, service, method, 'offline', provider.code, provider.message)
      return undefined
    }
    return this.#pending.add(caller, id, provider, service, method, metrics.method(service, method))
  }

  response(peer: CallEndpoint, [, relayId, kind, payload]: ResponseFrame): void {
    const request = this.#answered(peer, relayId, kind)
    if (request !== undefined) request.caller.sendFrame([FrameType.Response, request.callerId, kind, payload])
  }

  /** A Response read from its bytes (raw-frames.ts): checked as `response` checks it, payload copied. */
  responseRaw(peer: CallEndpoint, bytes: Uint8Array, raw: RawFrame): void {
    const request = this.#answered(peer, raw.id, raw.kind)
    if (request === undefined) return
    const { caller, callerId } = request
    if (caller.sendRawResponse !== undefined) {
      caller.sendRawResponse(callerId, raw.kind, bytes, raw.payloadStart, raw.end)
    } else {
      caller.sendFrame([FrameType.Response, callerId, raw.kind, binContent(bytes, raw)])
    }
  }

  /**
   * The checks and bookkeeping of a response step from `peer`: the call to forward it to, or
   * undefined when it must not be (unknown id, wrong provider, a stream past its credit).
   */
  #answered(peer: CallEndpoint, relayId: number, kind: number): PendingRequest | undefined {
    const request = this.#pending.get(relayId)
    // Unknown: the caller cancelled or left while this response was on its way, a normal race.
    if (!request) return undefined
    // Refused means "never reached a provider": only a relay may say it (a retry trusts it).
    if (kind === ResponseKind.Refused && !peer.remote) {
      this.#options.protocolError(peer, 'Response kind 4 (Refused) is sent by relays only', relayId)
      return undefined
    }
    if (request.provider !== peer) {
      this.#options.protocolError(
        peer,
        `Response for request ${relayId}, which was not routed to this node`,
        relayId,
      )
      return undefined
    }
    if (kind !== ResponseKind.Next) this.#end(request, kind === ResponseKind.Error ? 'error' : 'ok')
    else {
      request.lastActivity = peer.lastSeen
      // The caller granted this much and no more: what the relay's socket buffers for a stream
      // stays within its window. A provider past it ignores flow control (an older core).
      if (request.credit === 0) {
        this.#overran(request)
        return undefined
      }
      if (request.credit > 0) request.credit--
    }
    return request
  }

  /** The caller of a stream accepts `items` more values: counted here, passed to the provider. */
  credit(caller: CallEndpoint, [, id, items]: CreditFrame): void {
    // Unknown ids are normal: the stream may have ended while the grant was on its way.
    const request = caller.outgoing.get(id)
    if (!request || request.credit < 0) return
    request.credit = Math.min(request.credit + items, MAX_CREDIT)
    request.provider.sendFrame([FrameType.Credit, request.relayId, items])
  }

  /** A provider sent more than its caller granted: the stream ends, and both are told why. */
  #overran(request: PendingRequest): void {
    this.#end(request, 'error')
    request.provider.sendFrame([FrameType.Cancel, request.relayId])
    const message =
      `${request.provider.label} sent more values of ${request.service}.${request.method} than its caller granted ` +
      '(flow control window): the stream was ended. Run a @spider-mesh/core with flow control on that node'
    this.#options.protocolError(request.provider, message, null)
    this.#replyError(request.caller, request.callerId, ErrorCode.PROTOCOL_ERROR, message)
  }

  cancel(caller: CallEndpoint, [, id, reason]: CancelFrame): void {
    // Unknown ids are normal: the response may have ended the call while the cancel was in flight.
    const request = caller.outgoing.get(id)
    if (!request) return
    this.#end(request, 'cancelled')
    // A provider without a catalog runs a core from before Cancel reasons: it gets the plain Cancel.
    const { provider, relayId } = request
    provider.sendFrame(
      reason !== undefined && provider.catalog !== undefined
        ? [FrameType.Cancel, relayId, reason]
        : [FrameType.Cancel, relayId],
    )
  }

  /** A connection left: providers stop the calls it made, callers of calls it served get OFFLINE. */
  connectionLost(peer: CallEndpoint): void {
    for (const request of [...peer.outgoing.values()]) {
      this.#end(request, 'cancelled')
      request.provider.sendFrame([FrameType.Cancel, request.relayId])
    }
    for (const request of [...peer.incoming]) {
      this.#end(request, 'offline')
      this.#replyError(
        request.caller,
        request.callerId,
        ErrorCode.MICROSERVICE_OFFLINE,
        `Provider ${peer.label} disconnected during the call to "${request.service}.${request.method}"`,
      )
    }
  }

  /** Drops calls that saw no response step for `pendingTtlMs`, so the table cannot only grow. */
  expire(now: number): void {
    const ttl = this.#options.pendingTtlMs
    const cutoff = now - ttl
    const expired: PendingRequest[] = []
    for (const request of this.#pending.values()) {
      if (request.lastActivity < cutoff && !request.provider.hosted) expired.push(request)
    }
    for (const request of expired) {
      this.#end(request, 'expired')
      request.provider.sendFrame([FrameType.Cancel, request.relayId])
      this.#replyError(
        request.caller,
        request.callerId,
        ErrorCode.MICROSERVICE_RPC_TIMEOUT,
        `The relay dropped ${request.service}.${request.method}: no response for ${ttl} ms (pendingTtlMs)`,
      )
    }
  }

  /**
   * Ends a forwarded call from the provider's side with a relay-made error: the cluster uses it
   * when the relay a call went to turns out to be gone. Returns false for an unknown id.
   */
  abort(relayId: number, code: string, message: string): boolean {
    const request = this.#pending.get(relayId)
    if (!request) return false
    this.#end(request, 'offline')
    // Aborted before its relay took it (gone, NATS down, too large to cross): never delivered.
    this.#replyError(request.caller, request.callerId, code, message, ResponseKind.Refused)
    return true
  }

  /** The pending call with this relay id (the cluster checks who may answer it). */
  pending(relayId: number): PendingRequest | undefined {
    return this.#pending.get(relayId)
  }

  /** Answers a call the relay will not forward, and counts it. */
  refuse(
    caller: CallEndpoint,
    id: number,
    service: string,
    method: string,
    outcome: CallOutcome,
    code: string,
    message: string,
  ): void {
    const stats = this.#options.metrics.method(service, method)
    stats.inFlight++
    const now = performance.now()
    stats.end(outcome, now, now)
    this.#replyError(caller, id, code, message, ResponseKind.Refused)
  }

  /** Forgets every call without telling anyone (the relay is closing every connection). */
  clear(): void {
    this.#pending.clear()
  }

  #end(request: PendingRequest, outcome: CallOutcome): void {
    this.#pending.delete(request)
    request.stats.end(outcome, request.startedAt, performance.now())
    this.#options.onEnd()
  }

  /** Ends a caller's call with an error the relay produced (a relay-made payload, never a forwarded one). */
  #replyError(
    caller: CallEndpoint,
    id: number,
    code: string,
    message: string,
    kind: number = ResponseKind.Error,
  ): void {
    caller.sendFrame([FrameType.Response, id, kind, encodeValue({ code, message })])
  }
}

/** Sends a provider the Request the relay built: six fields, or seven with options to forward. */
function forward(
  provider: CallEndpoint,
  relayId: number,
  service: string,
  method: string,
  source: string | null,
  payload: Uint8Array,
  forwarded: RequestOptions | undefined,
): void {
  provider.sendFrame(
    forwarded === undefined
      ? [FrameType.Request, relayId, service, method, source, payload]
      : [FrameType.Request, relayId, service, method, source, payload, forwarded],
  )
}
