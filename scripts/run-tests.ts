/**
 * Runs the unit suite, then the e2e suite, both to the end even if the first fails, and prints
 * one closing line `N passed, N failed` with the counts summed from bun's own summaries.
 * Exit code: 0 only if both suites passed.
 */
const suites: [string, string[]][] = [
  ['unit', ['test', 'packages', 'bench']],
  ['e2e', ['test', '--timeout', '60000', 'e2e']],
]

let passed = 0
let failed = 0
let ok = true
const decoder = new TextDecoder()

for (const [name, args] of suites) {
  console.log(`\n=== ${name} tests: bun ${args.join(' ')}`)
  const child = Bun.spawn([process.execPath, ...args], { stdout: 'pipe', stderr: 'pipe', env: process.env })
  let tail = ''
  const pump = async (stream: ReadableStream<Uint8Array>, out: NodeJS.WriteStream) => {
    const reader = stream.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      out.write(value)
      tail = (tail + decoder.decode(value)).slice(-4000)
    }
  }
  await Promise.all([pump(child.stdout, process.stdout), pump(child.stderr, process.stderr)])
  const code = await child.exited
  const pass = Number(/^\s*(\d+) pass\s*$/m.exec(tail)?.[1] ?? 0)
  const fail = Number(/^\s*(\d+) fail\s*$/m.exec(tail)?.[1] ?? 0)
  passed += pass
  failed += fail
  if (code !== 0) {
    ok = false
    // A crash before bun printed its summary still counts as a failure.
    if (fail === 0) failed += 1
  }
}

console.log(`\n${passed} passed, ${failed} failed`)
process.exit(ok && failed === 0 ? 0 : 1)
