import { encodeFrame, encodeValue, type Frame, FrameType, PROTOCOL_VERSION } from '@spider-mesh/core'
import type { Prng } from './prng.js'

/** One message a fuzz socket sends, named so a failure can say what was sent. */
export interface FuzzMessage {
  kind: string
  data: Uint8Array | string
}

/** What the generators may refer to: the honest provider, this socket's identity and its used ids. */
export interface FuzzContext {
  rng: Prng
  /** The honest provider's node id (requests to it, impostor Hellos). */
  providerId: string
  /** This socket's node id once it said Hello, else null. */
  selfId: string | null
  /** Request ids this socket already sent, for replays. */
  usedIds: number[]
  /** Relay ids this socket saw in Requests routed to it, for late, duplicate and forged answers. */
  relayIds: number[]
}

/** Topics shared by all fuzz sockets, so publications really reach other sockets. */
const TOPICS = ['fuzz-a', 'fuzz-b', '']
const SERVICES = ['FuzzService', 'Other', 'Matrix', '']
const METHODS = ['whoami', 'slow', 'endless', 'echo', 'nope', 'constructor', '__proto__', 'toString', '']
const ALL_TYPES = Object.values(FrameType)

const id = (rng: Prng, ctx: FuzzContext): number =>
  rng.weighted<() => number>([
    [6, () => rng.int(1, 40)],
    [2, () => (ctx.usedIds.length > 0 ? rng.pick(ctx.usedIds) : 1)],
    [2, () => (ctx.relayIds.length > 0 ? rng.pick(ctx.relayIds) : 1)],
    [1, () => rng.pick([0, 0xffff_ffff, 0x1_0000_0000, Number.MAX_SAFE_INTEGER])],
  ])()

const nodeId = (rng: Prng, ctx: FuzzContext): string =>
  rng.weighted<() => string>([
    [3, () => ctx.providerId],
    [2, () => ctx.selfId ?? 'nobody'],
    [2, () => `fuzz-${rng.int(0, 20)}`],
    [1, () => rng.string()],
  ])()

/** A plausible call payload: valid encoded arguments or bytes that do not decode. */
const payload = (rng: Prng): Uint8Array =>
  rng.weighted<() => Uint8Array>([
    [4, () => encodeValue([])],
    [3, () => encodeValue([rng.int(0, 300)])],
    [2, () => encodeValue([`t${rng.int(0, 9)}`, rng.int(1, 50)])],
    [2, () => rng.bytes(rng.int(0, 64))],
    [1, () => encodeValue({ not: 'an array' })],
  ])()

/** A valid frame of the given type with random but well-typed fields. */
export function validFrame(rng: Prng, ctx: FuzzContext, type: number = rng.pick(ALL_TYPES)): Frame {
  switch (type) {
    case FrameType.Hello:
      return rng.chance(0.5)
        ? [FrameType.Hello, PROTOCOL_VERSION, nodeId(rng, ctx), [rng.pick(SERVICES)], [rng.pick(TOPICS)]]
        : [FrameType.Hello, PROTOCOL_VERSION, rng.string(), [], [], { runtime: rng.string() }]
    case FrameType.Welcome:
      return [FrameType.Welcome, PROTOCOL_VERSION, rng.string(), [[rng.string(), [rng.string()]]], 1000]
    case FrameType.Node:
      return [FrameType.Node, nodeId(rng, ctx), [rng.pick(SERVICES)]]
    case FrameType.Offline:
      return [FrameType.Offline, nodeId(rng, ctx)]
    case FrameType.Services:
      return [FrameType.Services, rng.chance(0.5) ? [] : [rng.pick(SERVICES), rng.string()]]
    case FrameType.Request:
      return [
        FrameType.Request,
        id(rng, ctx),
        rng.pick(SERVICES),
        rng.pick(METHODS),
        rng.chance(0.6) ? nodeId(rng, ctx) : null,
        payload(rng),
      ]
    case FrameType.Response:
      return [
        FrameType.Response,
        id(rng, ctx),
        rng.int(0, 3),
        rng.chance(0.2) ? null : encodeValue(rng.pick(['forged', { code: 'FORGED', message: 'x' }, 1])),
      ]
    case FrameType.Cancel:
      return [FrameType.Cancel, id(rng, ctx)]
    case FrameType.Publish:
      return [
        FrameType.Publish,
        rng.pick(TOPICS),
        encodeValue(rng.string()),
        rng.chance(0.5) ? null : 'spoof',
      ]
    case FrameType.Subscribe:
      return [FrameType.Subscribe, rng.pick(TOPICS)]
    case FrameType.Unsubscribe:
      return [FrameType.Unsubscribe, rng.pick(TOPICS)]
    case FrameType.Ping:
      return [FrameType.Ping, rng.chance(0.8) ? Date.now() : rng.pick([-1, 0.5, 1e300])]
    case FrameType.Pong:
      return [FrameType.Pong, rng.chance(0.5) ? Date.now() - rng.int(0, 1000) : rng.pick([-5, 1e20, 0])]
    case FrameType.Error:
      return [FrameType.Error, rng.pick(['PROTOCOL_ERROR', rng.string()]), rng.string(), null]
    default:
      return [FrameType.Goodbye, rng.string()]
  }
}

/** Values of every msgpack type, to put where another type belongs. */
function wrongValue(rng: Prng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => true,
    () => -rng.int(1, 1000),
    () => 1.5,
    () => Number.NaN,
    () => Number.POSITIVE_INFINITY,
    () => 2 ** 60,
    () => rng.string(),
    () => rng.bytes(rng.int(0, 16)),
    () => [rng.string(), 1, null],
    () => ({ a: 1, b: [2] }),
    () => new Date(0),
    () => [[[[[]]]]],
  ])()
}

/** A message that is close to valid: the kinds of damage a broken or hostile client produces. */
export function mutatedMessage(rng: Prng, ctx: FuzzContext): FuzzMessage {
  const frame = validFrame(rng, ctx) as unknown[]
  const bytes = encodeFrame(frame as Frame)
  return rng.weighted<() => FuzzMessage>([
    [3, () => ({ kind: 'truncated', data: bytes.slice(0, rng.int(0, bytes.length - 1)) })],
    [
      3,
      () => {
        const out = bytes.slice()
        const flips = rng.int(1, 8)
        for (let i = 0; i < flips; i++) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7)
        return { kind: 'bit-flipped', data: out }
      },
    ],
    [
      2,
      () => {
        const at = rng.int(0, bytes.length)
        const inserted = rng.bytes(rng.int(1, 8))
        const out = new Uint8Array(bytes.length + inserted.length)
        out.set(bytes.subarray(0, at))
        out.set(inserted, at)
        out.set(bytes.subarray(at), at + inserted.length)
        return { kind: 'bytes-inserted', data: out }
      },
    ],
    [
      3,
      () => {
        const copy = [...frame]
        copy[rng.int(1, Math.max(1, copy.length - 1))] = wrongValue(rng)
        return { kind: 'wrong-field-type', data: encodeFrame(copy as Frame) }
      },
    ],
    [
      2,
      () => {
        const copy = [...frame]
        if (rng.chance(0.5)) copy.push(wrongValue(rng))
        else copy.pop()
        return { kind: 'wrong-length', data: encodeFrame(copy as Frame) }
      },
    ],
    [
      2,
      () => {
        const type = rng.pick<unknown>([0, 16, 99, 255, -1, 1.5, 'Hello', null, [6], 2 ** 40])
        return { kind: 'unknown-type', data: encodeFrame([type, ...frame.slice(1)] as unknown as Frame) }
      },
    ],
    [
      1,
      () => ({
        kind: 'not-an-array',
        data: encodeFrame(rng.pick<unknown>([{ 0: 6 }, 'frame', 6, null, [], new Uint8Array(4)]) as Frame),
      }),
    ],
  ])()
}

/** msgpack headers that announce far more data than follows. */
export function lyingHeader(rng: Prng): FuzzMessage {
  const header = rng.pick([
    [0xdd, 0xff, 0xff, 0xff, 0xff], // array32 of 4294967295 elements
    [0xdd, 0x00, 0x10, 0x00, 0x00, 0x06], // array32 of 1M elements, one present
    [0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61], // str32 of 2 GiB
    [0xc6, 0xff, 0xff, 0xff, 0xff], // bin32 of 4 GiB
    [0xdf, 0xff, 0xff, 0xff, 0xff], // map32 of 4294967295 entries
    [0x96, 0x06, 0x01, 0xdb, 0x7f, 0xff, 0xff, 0xff], // a Request whose service is a 2 GiB string
    [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01], // ext32 of 4 GiB
  ])
  return { kind: 'lying-length-header', data: Uint8Array.from(header) }
}

/** Arrays nested so deep that a recursive decoder would overflow its stack. */
export function deepNesting(rng: Prng): FuzzMessage {
  const depth = rng.pick([1000, 10_000, 100_000])
  const out = new Uint8Array(depth + 1).fill(0x91)
  out[depth] = 0x06
  return { kind: `nested-${depth}`, data: out }
}

/** Several frames in one message, as senders coalesce them, with garbage somewhere in the middle. */
export function concatenated(rng: Prng, ctx: FuzzContext): FuzzMessage {
  const parts: Uint8Array[] = []
  const count = rng.int(2, 6)
  const garbageAt = rng.int(0, count)
  for (let i = 0; i <= count; i++) {
    if (i === garbageAt) {
      parts.push(rng.chance(0.5) ? rng.bytes(rng.int(1, 12)) : (mutatedMessage(rng, ctx).data as Uint8Array))
    } else {
      const type = rng.pick([FrameType.Ping, FrameType.Subscribe, FrameType.Request, FrameType.Cancel])
      parts.push(encodeFrame(validFrame(rng, ctx, type)))
    }
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return { kind: 'concatenated-with-garbage', data: out }
}

/** A string of about `bytes` bytes (ASCII, so the byte count is exact). */
export function hugeString(bytes: number): string {
  return 'x'.repeat(bytes)
}

/**
 * One large message below the payload limit: a multi-megabyte string where a name belongs, or
 * an array of 100k elements where a list belongs.
 */
export function hugeMessage(rng: Prng, ctx: FuzzContext, maxPayloadBytes: number): FuzzMessage {
  const size = rng.int(1 << 20, Math.floor(maxPayloadBytes * 0.75))
  return rng.weighted<() => FuzzMessage>([
    [
      2,
      () => ({
        kind: `huge-service-name-${size}`,
        data: encodeFrame([FrameType.Request, id(rng, ctx), hugeString(size), 'm', null, encodeValue([])]),
      }),
    ],
    [
      1,
      () => ({
        kind: `huge-payload-to-provider-${size}`,
        data: encodeFrame([
          FrameType.Request,
          id(rng, ctx),
          'Matrix',
          'echo',
          ctx.providerId,
          encodeValue([hugeString(size - 64)]),
        ]),
      }),
    ],
    [1, () => ({ kind: `huge-topic-${size}`, data: encodeFrame([FrameType.Subscribe, hugeString(size)]) })],
    [
      1,
      () => ({
        kind: `huge-error-message-${size}`,
        data: encodeFrame([FrameType.Error, 'X', hugeString(size), null]),
      }),
    ],
    [
      2,
      () => ({
        kind: 'services-100k',
        data: encodeFrame([FrameType.Services, Array.from({ length: 100_000 }, (_, i) => `svc-${i}`)]),
      }),
    ],
    [
      1,
      () => ({
        kind: 'topics-array-100k-as-topic',
        data: encodeFrame([
          FrameType.Subscribe,
          Array.from({ length: 100_000 }, () => 't'),
        ] as unknown as Frame),
      }),
    ],
    [
      1,
      () => ({
        kind: 'ints-100k-request',
        data: encodeFrame(
          Array.from({ length: 100_000 }, (_, i) => (i === 0 ? FrameType.Request : i)) as unknown as Frame,
        ),
      }),
    ],
  ])()
}

/** Hellos a relay must refuse, or accept only carefully. */
export function hostileHello(rng: Prng, ctx: FuzzContext): FuzzMessage {
  return rng.weighted<() => FuzzMessage>([
    [
      2,
      () => ({
        kind: 'hello-impostor',
        data: encodeFrame([FrameType.Hello, PROTOCOL_VERSION, ctx.providerId, ['Matrix'], []]),
      }),
    ],
    [
      2,
      () => ({
        kind: 'hello-wrong-version',
        data: encodeFrame([FrameType.Hello, PROTOCOL_VERSION + rng.int(1, 9), 'v', [], []]),
      }),
    ],
    [
      1,
      () => ({ kind: 'hello-empty-id', data: encodeFrame([FrameType.Hello, PROTOCOL_VERSION, '', [], []]) }),
    ],
    [
      1,
      () => ({
        kind: 'hello-bad-meta',
        data: encodeFrame([
          FrameType.Hello,
          PROTOCOL_VERSION,
          'm',
          [],
          [],
          { big: 'y'.repeat(300) },
        ] as unknown as Frame),
      }),
    ],
    [
      1,
      () => ({
        kind: 'hello-100k-topics',
        data: encodeFrame([
          FrameType.Hello,
          PROTOCOL_VERSION,
          `many-${rng.int(0, 1e9)}`,
          ['FuzzService'],
          Array.from({ length: 100_000 }, (_, i) => `topic-${i}`),
        ]),
      }),
    ],
  ])()
}

/**
 * The everyday mix: random bytes, valid frames of every type (sent in the wrong state, with
 * replayed ids, answering calls never routed here), damaged frames, text, and odd encodings.
 */
export function everydayMessage(rng: Prng, ctx: FuzzContext): FuzzMessage {
  return rng.weighted<() => FuzzMessage>([
    [3, () => ({ kind: 'random-bytes', data: rng.bytes(rng.int(0, 512)) })],
    [6, () => ({ kind: 'valid-frame', data: encodeFrame(validFrame(rng, ctx)) })],
    [
      3,
      () => {
        const replayed = ctx.usedIds.length > 0 && rng.chance(0.5) ? rng.pick(ctx.usedIds) : rng.int(1, 40)
        ctx.usedIds.push(replayed)
        const method = rng.pick(['slow', 'whoami', 'endless', 'nope'])
        const args =
          method === 'slow' ? [rng.int(0, 300)] : method === 'endless' ? [`fuzz-${replayed}`, 20] : []
        return {
          kind: 'request-to-provider',
          data: encodeFrame([
            FrameType.Request,
            replayed,
            'Matrix',
            method,
            rng.chance(0.7) ? ctx.providerId : null,
            encodeValue(args),
          ]),
        }
      },
    ],
    [2, () => ({ kind: 'forged-response', data: encodeFrame(validFrame(rng, ctx, FrameType.Response)) })],
    [1, () => ({ kind: 'cancel', data: encodeFrame(validFrame(rng, ctx, FrameType.Cancel)) })],
    [6, () => mutatedMessage(rng, ctx)],
    [1, () => lyingHeader(rng)],
    [0.3, () => deepNesting(rng)],
    [2, () => concatenated(rng, ctx)],
    [1, () => ({ kind: 'text', data: rng.string(64) })],
    [0.5, () => ({ kind: 'empty', data: new Uint8Array(0) })],
  ])()
}
