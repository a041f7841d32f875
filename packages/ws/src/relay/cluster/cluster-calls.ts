import type { Msg } from '@nats-io/transport-node'
import {
  ErrorCode,
  encodeValue,
  type Frame,
  FrameType,
  type RequestFrame,
  ResponseKind,
} from '@spider-mesh/core'
import { logEvent, type RelayLogger } from '../relay-logger.js'
import type { RelayRouter } from '../relay-router.js'
import { ClusterBatch } from './cluster-batch.js'
import type { ClusterDirectory } from './cluster-directory.js'
import {
  type CallItem,
  CallKind,
  decodeMessage,
  type RemoteRequest,
  type ResponseItem,
} from './cluster-messages.js'
import type { ClusterMetrics } from './cluster-metrics.js'
import type { NatsBackbone } from './nats-backbone.js'
import type { RemoteFrameSink, RemoteNode, RemoteRelay } from './remote-relay.js'
import type { ClusterSubjects } from './subjects.js'

/** What the call transport needs from the cluster around it. */
export interface ClusterCallsHost {
  readonly relayId: string
  readonly backbone: NatsBackbone
  readonly subjects: ClusterSubjects
  readonly router: RelayRouter
  readonly directory: ClusterDirectory
  readonly metrics: ClusterMetrics
  readonly logger: RelayLogger
}

/** Room for a batch's header and NATS's own framing next to the items. */
const HEADER_ROOM = 4096
/** A batch's "no responders" arrives within a round trip; its call ids are kept this long. */
const BOUNCE_WINDOW_MS = 10_000

/**
 * Calls between relays over NATS. The router hands it the frames of calls whose other end is on
 * another relay; they leave batched per target relay and tick (payload bytes untouched, never
 * decoded), and what arrives is handed back to the router as if a local connection had sent it.
 * A batch goes with a reply subject of its own, so NATS's "no responders" ends its calls at once
 * with MICROSERVICE_OFFLINE when the target relay is gone.
 */
export class ClusterCalls implements RemoteFrameSink {
  readonly #host: ClusterCallsHost
  readonly #toProviders = new Map<string, ClusterBatch>()
  readonly #toCallers = new Map<string, ClusterBatch>()
  /** Batches of requests sent recently: their call ids, by batch number. */
  readonly #sent = new Map<number, { relayId: string; callIds: number[]; at: number }>()
  #batchSeq = 0

  constructor(host: ClusterCallsHost) {
    this.#host = host
  }

  start(): void {
    const { backbone, subjects, relayId } = this.#host
    backbone.subscribe(subjects.calls(relayId), (msg) => this.#onCalls(msg))
    backbone.subscribe(subjects.responses(relayId), (msg) => this.#onResponses(msg))
    backbone.subscribe(subjects.bounces(relayId), (msg) => this.#onBounce(msg))
  }

  /** Frames the router sends to a provider on another relay: a request or a cancel. */
  toProvider(node: RemoteNode, frame: Frame): void {
    const batch = this.#batch(this.#toProviders, node.relay.id)
    if (frame[0] === FrameType.Request) {
      const [, callId, service, method, source, payload, options] = frame
      if (payload.byteLength + HEADER_ROOM > this.#host.backbone.maxPayload) {
        const message = tooLarge('arguments', payload, node.label, this.#host.backbone.maxPayload)
        queueMicrotask(() => this.#host.router.calls.abort(callId, ErrorCode.PAYLOAD_TOO_LARGE, message))
        return
      }
      const request: RemoteRequest =
        options === undefined
          ? [CallKind.Request, callId, source ?? '', service, method, node.nodeId, payload]
          : [CallKind.Request, callId, source ?? '', service, method, node.nodeId, payload, options]
      batch.add(request, payload.byteLength, callId)
      this.#host.metrics.callsOut++
    } else if (frame[0] === FrameType.Cancel) {
      batch.add(frame.length === 3 ? [CallKind.Cancel, frame[1], frame[2]] : [CallKind.Cancel, frame[1]], 0)
    } else if (frame[0] === FrameType.Credit) {
      batch.add([CallKind.Credit, frame[1], frame[2]], 0)
    }
  }

  /** Frames the router sends to a caller on another relay: one response step. */
  toCaller(relay: RemoteRelay, frame: Frame): void {
    if (frame[0] !== FrameType.Response) return
    const [, callId, kind, payload] = frame
    let item: ResponseItem = [callId, kind, payload]
    if (payload && payload.byteLength + HEADER_ROOM > this.#host.backbone.maxPayload) {
      // NATS would refuse it: end the call (the provider stops) with an error that says why.
      if (kind === ResponseKind.Next) this.#host.router.calls.cancel(relay.caller, [FrameType.Cancel, callId])
      const message = tooLarge('result', payload, `relay "${relay.name}"`, this.#host.backbone.maxPayload)
      item = [callId, ResponseKind.Error, encodeValue({ code: ErrorCode.PAYLOAD_TOO_LARGE, message })]
    }
    this.#batch(this.#toCallers, relay.id).add(item, item[2]?.byteLength ?? 0)
  }

  /** Forgets a relay that left (its batches) and old bounce records. */
  forget(relayId: string): void {
    this.#toProviders.delete(relayId)
    this.#toCallers.delete(relayId)
  }

  /** Drops bounce records past their window (called every heartbeat). */
  sweep(now: number): void {
    for (const [seq, sent] of this.#sent) if (now - sent.at > BOUNCE_WINDOW_MS) this.#sent.delete(seq)
  }

  #batch(batches: Map<string, ClusterBatch>, relayId: string): ClusterBatch {
    let batch = batches.get(relayId)
    if (batch) return batch
    const { backbone, subjects } = this.#host
    const limit = () => backbone.maxPayload - HEADER_ROOM
    const toProviders = batches === this.#toProviders
    batch = new ClusterBatch([this.#host.relayId], limit, (message, callIds) =>
      toProviders
        ? this.#sendCalls(relayId, message, callIds)
        : backbone.publish(subjects.responses(relayId), message),
    )
    batches.set(relayId, batch)
    return batch
  }

  #sendCalls(relayId: string, message: Uint8Array, callIds: number[]): void {
    const { backbone, subjects, router } = this.#host
    const seq = ++this.#batchSeq
    if (backbone.publish(subjects.calls(relayId), message, subjects.bounce(this.#host.relayId, seq))) {
      if (callIds.length > 0) this.#sent.set(seq, { relayId, callIds, at: Date.now() })
      return
    }
    // refuse() checked NATS a moment ago; it dropped in between.
    for (const callId of callIds) {
      router.calls.abort(
        callId,
        ErrorCode.CLUSTER_UNAVAILABLE,
        'The provider is on another relay and NATS is down',
      )
    }
  }

  /** Requests and cancels from another relay's callers, for nodes here. */
  #onCalls(msg: Msg): void {
    const { router, directory, metrics } = this.#host
    let caller: RemoteRelay['caller'] | undefined
    this.#decode(msg, (value, first) => {
      if (first) {
        const from = (value as [unknown])[0]
        if (typeof from === 'string') caller = directory.relay(from).caller
        if (caller) caller.lastSeen = Date.now()
        return
      }
      const item = value as CallItem
      if (!caller || typeof item[1] !== 'number') return
      if (item[0] === CallKind.Cancel) {
        const reason = item[2]
        router.calls.cancel(
          caller,
          typeof reason === 'string' ? [FrameType.Cancel, item[1], reason] : [FrameType.Cancel, item[1]],
        )
        return
      }
      if (item[0] === CallKind.Credit) {
        const items = item[2]
        if (Number.isSafeInteger(items) && items > 0)
          router.calls.credit(caller, [FrameType.Credit, item[1], items])
        return
      }
      const [, callId, source, service, method, destination, payload, options] = item
      if (typeof service !== 'string' || typeof method !== 'string' || typeof destination !== 'string') return
      if (!(payload instanceof Uint8Array)) return
      metrics.callsIn++
      const frame: RequestFrame =
        options !== null && typeof options === 'object'
          ? [FrameType.Request, callId, service, method, destination, payload, options]
          : [FrameType.Request, callId, service, method, destination, payload]
      router.calls.request(caller, frame, source)
    })
  }

  /** Response steps from another relay, for callers here. */
  #onResponses(msg: Msg): void {
    const { calls } = this.#host.router
    const now = Date.now()
    this.#decode(msg, (value, first) => {
      if (first) return
      const [callId, kind, payload] = value as ResponseItem
      if (typeof callId !== 'number' || typeof kind !== 'number' || kind < 0 || kind > 4) return
      const pending = calls.pending(callId)
      // Unknown: the call ended here (cancel, caller gone) while the answer was on its way.
      if (!pending?.provider.remote) return
      pending.provider.lastSeen = now
      calls.response(pending.provider, [FrameType.Response, callId, kind, payload ?? null])
    })
  }

  /** NATS: nobody listened on the subject a batch of calls went to — its relay is gone. */
  #onBounce(msg: Msg): void {
    if (msg.data.length !== 0 || msg.headers?.code !== 503) return
    const seq = Number(msg.subject.slice(msg.subject.lastIndexOf('.') + 1))
    const sent = this.#sent.get(seq)
    if (!sent) return
    this.#sent.delete(seq)
    const { calls } = this.#host.router
    for (const callId of sent.callIds) {
      const pending = calls.pending(callId)
      if (!pending?.provider.remote) continue
      calls.abort(
        callId,
        ErrorCode.MICROSERVICE_OFFLINE,
        `The relay of ${pending.provider.label} is gone (NATS: no responders) during the call to "${pending.service}.${pending.method}"`,
      )
    }
  }

  /** Decodes a batch; a malformed message costs that message only (NATS is shared infrastructure). */
  #decode(msg: Msg, onValue: (value: unknown, first: boolean) => void): void {
    const batch = decodeMessage<[unknown, unknown]>(msg.data, 2)
    const [header, items] = batch ?? []
    if (!Array.isArray(header) || !Array.isArray(items)) {
      this.#host.logger.debug(
        `[relay] cluster: dropped a malformed message on ${msg.subject}`,
        logEvent('cluster_message_malformed', { subject: msg.subject }),
      )
      return
    }
    onValue(header, true)
    for (const item of items) if (Array.isArray(item)) onValue(item, false)
  }
}

function tooLarge(what: string, payload: Uint8Array, to: string, limit: number): string {
  return (
    `The ${what} (${payload.byteLength} bytes) cannot cross relays to ${to}: NATS accepts messages up to ` +
    `${limit} bytes (its max_payload; raise it in the nats-server config, or keep caller and provider on one relay)`
  )
}
