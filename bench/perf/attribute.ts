/**
 * Where a process's CPU went, from `perf script -F comm,ip,sym` output of a `perf record -g` run
 * (cpu-clock samples: on-CPU time only, unlike Bun's `--profile`, which counts waiting too).
 *
 *   perf script -i perf.data -F comm,ip,sym | bun bench/perf/attribute.ts [TOP]
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

/**
 * The thread that writes the JIT dump `perf` needs to name JavaScript frames
 * (BUN_JSC_useJITDump=1): its samples are the profiling's own cost, not the process's.
 */
export const JIT_DUMP_THREAD = 'JSC PerfLog'
const JIT_DUMP_AREA = "perf's own JIT-dump writer (not the process's cost)"

/**
 * Parses `perf script -F comm,ip,sym` (or `-F ip,sym`) output: one block per sample, its thread's
 * name on the first line when given (unindented), then its frames (indented, innermost first).
 */
export function attribute(text: string): Attribution {
  const samples = text
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n').filter((line) => line.trim() !== '')
      const thread = lines[0] !== undefined && !/^\s/.test(lines[0]) ? lines.shift()!.trim() : undefined
      const frames = lines.map((line) =>
        line
          .trim()
          .replace(/^\S+\s+/, '')
          .replace(/\+0x[0-9a-f]+$/, ''),
      )
      return { thread, frames }
    })
    .filter(({ frames }) => frames.length > 0)
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)
  const result: Attribution = {
    samples: samples.length,
    areas: new Map(),
    js: 0,
    leaf: new Map(),
    leafNative: new Map(),
  }
  for (const { thread, frames } of samples) {
    if (thread === JIT_DUMP_THREAD) {
      count(result.areas, JIT_DUMP_AREA)
      continue
    }
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
