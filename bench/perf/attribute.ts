/**
 * Where a process's CPU went, from `perf script -F ip,sym` output of a `perf record -g` run
 * (cpu-clock samples: on-CPU time only, unlike Bun's `--profile`, which counts waiting too).
 *
 *   perf script -i perf.data -F ip,sym | bun bench/perf/attribute.ts [TOP]
 *
 * Prints the share of samples per area (socket send and receive, epoll, JavaScript, native code
 * outside JavaScript, other threads such as the JIT and GC helpers) and, for JavaScript, the
 * innermost JIT frame of each sample with how many of its samples were in native code it called
 * (typed-array allocation, sends). Frames of bun.exe itself are unnamed: its binary is stripped.
 */
/** Samples by area, and by innermost JIT frame (with how many of those were in native callees). */
export interface Attribution {
  samples: number
  areas: Map<string, number>
  js: number
  leaf: Map<string, number>
  leafNative: Map<string, number>
}

/** Parses `perf script -F ip,sym` output: one block of frames (innermost first) per sample. */
export function attribute(text: string): Attribution {
  const samples = text
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
        .map((line) => line.replace(/^\S+\s+/, '').replace(/\+0x[0-9a-f]+$/, '')),
    )
    .filter((frames) => frames.length > 0)
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
  const result: Attribution = {
    samples: samples.length,
    areas: new Map(),
    js: 0,
    leaf: new Map(),
    leafNative: new Map(),
  }
  for (const frames of samples) {
    count(result.areas, area(frames))
    const i = frames.findIndex((f) => f.startsWith('JSC-'))
    if (i < 0) continue
    result.js++
    count(result.leaf, frames[i]!)
    if (i > 0) count(result.leafNative, frames[i]!)
  }
  return result
}

function area(frames: string[]): string {
  const all = frames.join(' ')
  if (all.includes('__send')) return 'socket send (syscall, waking the peer)'
  if (all.includes('__libc_recv')) return 'socket receive (syscall)'
  if (all.includes('epoll')) return 'epoll wait (sleep and wake-up)'
  if (all.includes('madvise')) return 'madvise (memory returned to the OS)'
  if (all.includes('JSC-')) return 'JavaScript (JIT frames on the stack)'
  if (all.includes('start_thread')) return 'other threads (JIT, GC, allocator)'
  if (all.includes('__libc_start_call_main')) return 'main thread, native, no JavaScript'
  return 'other'
}

if (import.meta.main) {
  const top = Number(process.argv[2] ?? 25)
  const { samples, areas, js, leaf, leafNative } = attribute(await Bun.stdin.text())
  const pct = (n: number, of: number) => `${((n * 100) / of).toFixed(1).padStart(5)}%`
  console.log(`${samples} samples`)
  for (const [name, n] of [...areas].sort((a, b) => b[1] - a[1])) console.log(`${pct(n, samples)}  ${name}`)
  console.log(`\nJavaScript: ${js} samples; innermost JIT frame, its samples, of which in native callees`)
  for (const [name, n] of [...leaf].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${String(n).padStart(6)} ${String(leafNative.get(name) ?? 0).padStart(6)}  ${name}`)
  }
}
