/**
 * Node's and Bun's own UTF-8 helpers on `Buffer.prototype`, when this runtime has them (not in
 * browsers or React Native: a bundler's Buffer polyfill would be slower than the codec's paths).
 * They work on any Uint8Array at an offset, so the codec needs no subarray to use them.
 */
interface NativeBuffer {
  byteLength(value: string, encoding: 'utf8'): number
  prototype: {
    utf8Write?: (this: Uint8Array, value: string, offset: number, length: number) => number
    utf8Slice?: (this: Uint8Array, start: number, end: number) => string
  }
}

const runtime = globalThis as {
  Buffer?: NativeBuffer
  Bun?: unknown
  process?: { versions?: { node?: string } }
}
const own = runtime.Bun !== undefined || runtime.process?.versions?.node !== undefined
const buffer = own ? runtime.Buffer : undefined
const write = buffer?.prototype.utf8Write
const slice = buffer?.prototype.utf8Slice

/** Writes `value` (whose UTF-8 length the caller took with `utf8Length`) at `offset`; answers the bytes written. */
export const nativeUtf8Write:
  | ((bytes: Uint8Array, value: string, offset: number, length: number) => number)
  | undefined =
  write === undefined || buffer === undefined
    ? undefined
    : (bytes, value, offset, length) => write.call(bytes, value, offset, length)

/** The UTF-8 byte length of `value` (with nativeUtf8Write). */
export const utf8Length = (value: string): number => buffer!.byteLength(value, 'utf8')

/** The text of `bytes[start, end)`; invalid sequences become U+FFFD, as with TextDecoder. */
export const nativeUtf8Slice: ((bytes: Uint8Array, start: number, end: number) => string) | undefined =
  slice === undefined ? undefined : (bytes, start, end) => slice.call(bytes, start, end)
