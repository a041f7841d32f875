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
    // With the thread's name (perf script -F comm,ip,sym): the JIT-dump writer is perf's own cost.
    'bun \n\t1 tcp_sendmsg\n\t2 __send',
    'JSC PerfLog \n\t1 ext4_write\n\t2 start_thread',
  ].join('\n\n')
  const result = attribute(script)
  expect(result.samples).toBe(7)
  expect(result.js).toBe(2)
  expect(result.leaf.get('JSC-FTL: flush#X')).toBe(2)
  expect(result.leafNative.get('JSC-FTL: flush#X')).toBe(1)
  expect(Object.fromEntries(result.areas)).toEqual({
    'JavaScript (JIT frames on the stack)': 2,
    'socket send (syscall, waking the peer)': 2,
    'epoll wait (sleep and wake-up)': 1,
    'other threads (JIT, GC, allocator)': 1,
    "perf's own JIT-dump writer (not the process's cost)": 1,
  })
})

test('profile-unary.sh none prints each process’s user and kernel CPU per call, in line with the relay’s total', () => {
  // Real relay, provider and caller on 127.0.0.1 (the script starts and stops them by PID).
  const run = Bun.spawnSync(
    ['bash', new URL('profile-unary.sh', import.meta.url).pathname, 'mesh', 'none', '1', '3000'],
    {
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
  const out = run.stdout.toString()
  expect(run.exitCode, `${out}\n${run.stderr.toString()}`).toBe(0)
  expect(out).toMatch(/^RESULT \{.*"count":[1-9]/m)
  const split = out.match(
    /user \/ system CPU µs per call, minor faults per call \(2 s\): caller ([\d.]+) \/ ([\d.]+), ([\d.]+); relay ([\d.]+) \/ ([\d.]+), ([\d.]+); provider ([\d.]+) \/ ([\d.]+), ([\d.]+);/,
  )
  expect(split, out).not.toBeNull()
  const [callerUser, callerKernel, , relayUser, relayKernel, , providerUser, providerKernel] = split!
    .slice(1)
    .map(Number)
  // Every process both runs JavaScript and sends on a socket for each call.
  for (const cpu of [callerUser, callerKernel, relayUser, relayKernel, providerUser, providerKernel])
    expect(cpu).toBeGreaterThan(0)
  // The same relay CPU, measured over the whole window: the split may not be far from it.
  const relayTotal = Number(out.match(/relay CPU µs\/call ([\d.]+)/)![1])
  const relaySplit = relayUser! + relayKernel!
  expect(relaySplit).toBeGreaterThan(relayTotal / 2)
  expect(relaySplit).toBeLessThan(relayTotal * 2)
}, 90_000)
