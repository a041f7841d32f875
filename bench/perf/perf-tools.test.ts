import { expect, test } from 'bun:test'
import { attribute } from './attribute.js'
import { loadsOf, perfMap } from './jit-map.js'

/** A jitdump as JSC writes it: a 40-byte header, then JIT_CODE_LOAD records. */
function jitdump(pid: number, loads: [start: number, size: number, name: string][]): Uint8Array {
  const parts: Uint8Array[] = []
  const header = new DataView(new ArrayBuffer(40))
  header.setUint32(0, 0x4a695444, true)
  header.setUint32(4, 1, true)
  header.setUint32(8, 40, true)
  header.setUint32(20, pid, true)
  parts.push(new Uint8Array(header.buffer))
  for (const [i, [start, size, name]] of loads.entries()) {
    const nameBytes = new TextEncoder().encode(`${name}\0`)
    const record = new DataView(new ArrayBuffer(56 + nameBytes.length + size))
    record.setUint32(0, 0, true) // JIT_CODE_LOAD
    record.setUint32(4, record.byteLength, true)
    record.setUint32(16, pid, true)
    record.setBigUint64(24, BigInt(start), true)
    record.setBigUint64(32, BigInt(start), true)
    record.setBigUint64(40, BigInt(size), true)
    record.setBigUint64(48, BigInt(i), true)
    const bytes = new Uint8Array(record.buffer)
    bytes.set(nameBytes, 56)
    parts.push(bytes)
  }
  return Buffer.concat(parts)
}

test('jit-map keeps the code loaded last where loads overlap (JSC reuses JIT memory)', () => {
  const dump = jitdump(4242, [
    [0x1000, 0x100, 'JSC-DFG: old#A'],
    [0x2000, 0x40, 'JSC-FTL: keep#B'],
    [0x1080, 0x100, 'JSC-FTL: new#C'],
  ])
  const { pid, loads } = loadsOf(dump)
  expect(pid).toBe(4242)
  expect(perfMap(loads)).toBe('1080 100 JSC-FTL: new#C\n2000 40 JSC-FTL: keep#B\n')
})

test('attribute counts areas and the innermost JIT frame, with its native callees', () => {
  const script = [
    // innermost first, as perf script prints
    '\t1 [unknown]\n\t2 JSC-FTL: flush#X+0x12\n\t3 JSC-FTL: message#Y\n\t4 __libc_start_call_main',
    '\t1 JSC-FTL: flush#X\n\t4 __libc_start_call_main',
    '\t1 tcp_sendmsg\n\t2 __send\n\t3 __libc_start_call_main',
    '\t1 do_epoll_wait\n\t2 epoll_pwait2',
    '\t1 something\n\t2 start_thread',
  ].join('\n\n')
  const result = attribute(script)
  expect(result.samples).toBe(5)
  expect(result.js).toBe(2)
  expect(result.leaf.get('JSC-FTL: flush#X')).toBe(2)
  expect(result.leafNative.get('JSC-FTL: flush#X')).toBe(1)
  expect(Object.fromEntries(result.areas)).toEqual({
    'JavaScript (JIT frames on the stack)': 2,
    'socket send (syscall, waking the peer)': 1,
    'epoll wait (sleep and wake-up)': 1,
    'other threads (JIT, GC, allocator)': 1,
  })
})
