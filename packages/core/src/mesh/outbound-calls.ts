import { decodeValue, encodeValue, findUnserialisable } from '../protocol/codec.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { fromWireError, MeshError } from '../protocol/errors.js'
import { ResponseKind, type RpcRequestPacket, type RpcResponsePacket } from '../protocol/packets.js'
import type { CancelCall, TransportLink } from '../transport/transporter.js'
import { callContext } from './call-context.js'
import type { CallOptions, CallSink } from './call-sink.js'

/** A call this mesh sent, as the caller holds it: `unsubscribe()` cancels it (ignored once it ended). */
export interface OutboundCall {
  unsubscribe(): void
}

/**
 * A call in flight. Also the caller's handle on it (OutboundCall), so a call costs no cancel
 * function: a closure per call was 2 of the caller's objects by the bench's census.
 */
class PendingCall implements OutboundCall {
  /** Set once the transporter resolves the send; null while it has not. */
  cancel: CancelCall | null = null
  lastActivity = 0
  /** Values delivered since the last grant (flow control). */
  unacked = 0
  /** The sink grants credit itself (it pulls); the mesh does not grant on delivery. */
  manual = false

  constructor(
    readonly calls: OutboundCalls,
    readonly id: number,
    readonly sink: CallSink,
    readonly service: string,
    readonly method: string,
    readonly timeout: number,
    /** Epoch ms when the whole call must be over; 0 = no deadline. */
    readonly deadline: number,
    /** Flow control: the window granted up front (0: none). */
    public window: number,
    readonly link: TransportLink,
  ) {}

  unsubscribe(): void {
    this.calls.cancel(this.id)
  }
}

const noop = () => {}
/** The handle of a call that never started (refused at once): nothing to cancel. */
const ENDED: OutboundCall = { unsubscribe: noop }
/** `PendingCall.cancel` of a call sent with `link.call`: cancelled with `link.cancel(id)`. */
const BY_ID: CancelCall = () => {}

/**
 * The calls this mesh has sent and not yet seen end. Keyed by a per-mesh counter, so a response
 * is one map lookup whatever the number of services or nodes.
 */
export class OutboundCalls {
  #pending = new Map<number, PendingCall>()
  #nextId = 1
  /** Pending calls with a timeout, and the sweep that enforces them. */
  #timed = 0
  #sweepTimer: ReturnType<typeof setTimeout> | undefined
  #sweepEvery = 1000

  get size(): number {
    return this.#pending.size
  }

  /** Sends one call over `link`; answers it (its `unsubscribe()` cancels it). */
  start(
    link: TransportLink,
    service: string,
    method: string,
    args: unknown[],
    options: CallOptions,
    sink: CallSink,
  ): OutboundCall {
    let payload: Uint8Array
    try {
      payload = encodeValue(args)
    } catch (err) {
      const why = findUnserialisable(args, 'args') ?? (err as Error).message
      sink.error(
        new MeshError(
          ErrorCode.INVALID_ARGUMENTS,
          `Cannot send ${service}.${method}(): ${why}. Arguments must be plain data (no functions, symbols or cycles).`,
        ),
      )
      return ENDED
    }
    const id = this.#nextId++
    const timeout = options.timeout ?? 0
    // A call made while serving one may not outlive it.
    const inherited = callContext()?.deadline
    const deadline =
      inherited === undefined ? (options.deadline ?? 0) : Math.min(options.deadline ?? inherited, inherited)
    const call = new PendingCall(
      this,
      id,
      sink,
      service,
      method,
      timeout,
      deadline,
      options.window ?? 0,
      link,
    )
    this.#pending.set(id, call)
    if (timeout > 0 || deadline > 0) {
      call.lastActivity = Date.now()
      this.#timed++
      this.#armSweep(
        deadline > 0 ? Math.max(1, Math.min(timeout || Infinity, deadline - call.lastActivity)) : timeout,
      )
    }
    const packet: RpcRequestPacket = { type: 'request', request_id: id, service, method, payload }
    if (options.node_id !== undefined) packet.destination_node_id = options.node_id
    if (options.version !== undefined) packet.version = options.version
    if (deadline > 0) packet.deadline = deadline
    if (options.meta !== undefined) packet.meta = options.meta
    if (options.key !== undefined) packet.key = options.key
    else if (options.balance !== undefined) packet.balance = options.balance
    if (call.window > 0 && link.credit) {
      packet.window = call.window
      if (sink.start) {
        call.manual = true
        sink.start({ window: call.window, grant: (items) => this.#grant(id, call, items) })
      }
    } else call.window = 0
    if (link.call && link.cancel) {
      link.call(packet)
      // Answered synchronously (no relay): the call is over already.
      if (this.#pending.get(id) === call) call.cancel = BY_ID
    } else if (link.request) {
      const cancel = link.request(packet)
      // The transporter may have answered synchronously (no relay): the call is over already.
      if (this.#pending.get(id) === call) call.cancel = cancel
    } else {
      link.send(packet).then(
        (handle) => {
          // Unsubscribed before the transporter answered (same tick as the call): cancel now.
          if (this.#pending.get(id) === call) call.cancel = handle.cancel
          else if (call.cancel === null) handle.cancel()
        },
        (err) => this.#fail(id, new MeshError(ErrorCode.MICROSERVICE_OFFLINE, `Could not send: ${err}`)),
      )
    }
    return call
  }

  /** Stops waiting for a call and tells its provider. Unknown ids are ignored (the call ended). */
  cancel(id: number): void {
    const call = this.#pending.get(id)
    if (call) this.#end(id, call, true)
  }

  /** Routes one response step to its call. */
  handleResponse(packet: RpcResponsePacket): void {
    this.handleStep(packet.request_id, packet.kind, packet.payload)
  }

  /** {@link handleResponse} from the response's fields (TransporterHost.handleResponseStep). */
  handleStep(id: number, kind: number, payload: Uint8Array | undefined): void {
    const call = this.#pending.get(id)
    if (!call) return
    if (kind === ResponseKind.Next) {
      if (call.timeout > 0) call.lastActivity = Date.now()
      const value = this.#decode(payload, call)
      if (value === FAILED) return
      // Delivered is consumed for a push sink: give the credit back in halves of the window, so
      // the provider never waits for a round trip while the caller keeps up.
      if (call.window > 0 && !call.manual && ++call.unacked * 2 >= call.window) {
        call.link.credit?.(id, call.unacked)
        call.unacked = 0
      }
      call.sink.next(value)
      return
    }
    this.#end(id, call, false)
    if (kind === ResponseKind.Value) {
      const value = this.#decode(payload, call)
      if (value === FAILED) return
      call.sink.next(value)
      call.sink.complete()
    } else if (kind === ResponseKind.Complete) {
      call.sink.complete()
    } else {
      const wire = this.#decode(payload, call)
      if (wire === FAILED) return
      const error = fromWireError(wire)
      // Only a relay or a transporter sends Refused (the relay refuses it from providers).
      if (kind === ResponseKind.Refused)
        Object.defineProperty(error, 'delivered', { value: false, enumerable: true })
      call.sink.error(error)
    }
  }

  /** Ends every pending call with `error` (mesh closing). */
  failAll(error: MeshError): void {
    for (const id of [...this.#pending.keys()]) this.#fail(id, error)
  }

  #decode(payload: Uint8Array | undefined, call: PendingCall): unknown {
    try {
      return payload === undefined ? undefined : decodeValue(payload)
    } catch (err) {
      this.#end(call.id, call, true)
      call.sink.error(
        new MeshError(
          ErrorCode.PROTOCOL_ERROR,
          `Response to ${call.service}.${call.method} could not be decoded: ${(err as Error).message}`,
        ),
      )
      return FAILED
    }
  }

  /**
   * Forgets a call. With `cancelRemote`, the provider is told to stop; if the transporter has not
   * yet handed over its cancel handle, `cancel` stays null and the handle is used on arrival.
   * Without it (the provider ended the call), a late handle is dropped unused.
   */
  #end(id: number, call: PendingCall, cancelRemote: boolean, reason?: string): void {
    this.#pending.delete(id)
    if (call.timeout > 0 || call.deadline > 0) this.#timed--
    if (cancelRemote) {
      if (call.cancel === BY_ID) call.link.cancel!(id, reason)
      else call.cancel?.(reason)
    } else if (call.cancel === null) call.cancel = noop
  }

  /** A pulling sink accepts `items` more values (ignored once the call has ended). */
  #grant(id: number, call: PendingCall, items: number): void {
    if (this.#pending.get(id) !== call || !(items > 0)) return
    call.link.credit?.(id, Math.floor(items))
  }

  #fail(id: number, error: MeshError): void {
    const call = this.#pending.get(id)
    if (!call) return
    // A timeout tells the provider why (its signal's reason); other failures cancel plainly.
    this.#end(id, call, true, error.code === ErrorCode.MICROSERVICE_RPC_TIMEOUT ? error.code : undefined)
    call.sink.error(error)
  }

  /**
   * Inactivity timeouts are checked by one sweep over the pending calls, not a timer per call:
   * creating and clearing a timer per call was 7.6% of a busy caller's CPU. The sweep runs every
   * tenth of the shortest timeout in use (10 ms to 1 s), so a timeout fires at most 10% late, and
   * stops when no timed call is pending.
   */
  #armSweep(timeout: number): void {
    const every = Math.max(10, Math.min(1000, Math.floor(timeout / 10)))
    if (this.#sweepTimer !== undefined && every >= this.#sweepEvery) return
    if (this.#sweepTimer !== undefined) clearTimeout(this.#sweepTimer)
    this.#sweepEvery = every
    this.#sweepTimer = setTimeout(this.#sweep, every)
  }

  readonly #sweep = (): void => {
    this.#sweepTimer = undefined
    const now = Date.now()
    let expired: number[] | undefined
    for (const [id, call] of this.#pending) {
      if (
        (call.timeout > 0 && now - call.lastActivity >= call.timeout) ||
        (call.deadline > 0 && now >= call.deadline)
      ) {
        expired ??= []
        expired.push(id)
      }
    }
    for (const id of expired ?? []) {
      const call = this.#pending.get(id)
      if (!call) continue
      const why =
        call.deadline > 0 && now >= call.deadline
          ? `${call.service}.${call.method} did not finish by its deadline`
          : `${call.service}.${call.method} sent nothing for ${call.timeout} ms (timeout)`
      this.#fail(id, new MeshError(ErrorCode.MICROSERVICE_RPC_TIMEOUT, `${why}; the call was cancelled`))
    }
    if (this.#timed > 0) {
      this.#sweepTimer = setTimeout(this.#sweep, this.#sweepEvery)
    }
  }
}

const FAILED = Symbol('failed')
