/**
 * Writes a frame id as a msgpack uint (fixint, uint16 or uint32; ids below 2^32): the one piece of encoding the
 * raw caller and raw provider do by hand. Answers the next offset.
 */
export function writeRawId(out: Uint8Array, at: number, id: number): number {
  if (id < 0x80) {
    out[at] = id
    return at + 1
  }
  if (id < 0x10000) {
    out[at] = 0xcd
    out[at + 1] = id >>> 8
    out[at + 2] = id & 0xff
    return at + 3
  }
  out[at] = 0xce
  out[at + 1] = id >>> 24
  out[at + 2] = (id >>> 16) & 0xff
  out[at + 3] = (id >>> 8) & 0xff
  out[at + 4] = id & 0xff
  return at + 5
}
