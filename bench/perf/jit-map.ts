/**
 * Turns a JavaScriptCore jitdump (written by Bun under `BUN_JSC_useJITDump=1
 * BUN_JSC_jitDumpDirectory=DIR`) into the `/tmp/perf-PID.map` that `perf report` and
 * `perf script` read to name JIT frames (`JSC-FTL: flush#…`).
 *
 *   bun bench/perf/jit-map.ts DIR/jit-*.dump
 *
 * `perf inject --jit` does not find Bun's dumps (they are named jit-TID-PID.dump, and perf was
 * attached after the process mapped its file), hence this. JSC reuses freed JIT memory, so a
 * later code load replaces every earlier one it overlaps: names are those of the code that was
 * there last, which is what a profile taken after warm-up ran.
 */
import { readFileSync, writeFileSync } from 'node:fs'

/** One piece of JIT code: where it starts, its size, its name. */
export interface Load {
  start: bigint
  size: bigint
  name: string
}

/** The process id of a jitdump and the code loaded last at each address, sorted by address. */
export function loadsOf(bytes: Uint8Array): { pid: number; loads: Load[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerSize = view.getUint32(8, true)
  const pid = view.getUint32(20, true)
  let live: Load[] = []
  for (let at = headerSize; at + 16 <= bytes.length; ) {
    const id = view.getUint32(at, true)
    const size = view.getUint32(at + 4, true)
    if (size === 0) break
    if (id === 0) {
      // JIT_CODE_LOAD: header(16) pid tid vma code_addr code_size code_index name\0 code
      const start = view.getBigUint64(at + 32, true)
      const codeSize = view.getBigUint64(at + 40, true)
      const nameStart = at + 56
      const nameEnd = bytes.indexOf(0, nameStart)
      const name = new TextDecoder().decode(bytes.subarray(nameStart, nameEnd))
      live = live.filter((l) => l.start + l.size <= start || l.start >= start + codeSize)
      live.push({ start, size: codeSize, name })
    }
    at += size
  }
  return { pid, loads: live.sort((a, b) => (a.start < b.start ? -1 : 1)) }
}

/** The perf map lines (`START SIZE name`, hex) of these loads. */
export function perfMap(loads: Load[]): string {
  return loads.map((l) => `${l.start.toString(16)} ${l.size.toString(16)} ${l.name}\n`).join('')
}

if (import.meta.main) {
  const paths = process.argv.slice(2)
  if (paths.length === 0) {
    console.error('usage: bun bench/perf/jit-map.ts DIR/jit-*.dump')
    process.exit(2)
  }
  for (const path of paths) {
    const { pid, loads } = loadsOf(readFileSync(path))
    writeFileSync(`/tmp/perf-${pid}.map`, perfMap(loads))
    console.log(`${path}: ${loads.length} JIT symbols for pid ${pid} in /tmp/perf-${pid}.map`)
  }
}
