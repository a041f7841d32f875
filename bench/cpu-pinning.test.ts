import { afterAll, afterEach, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { Child, killAll } from './child.js'
import { CPUS_ENV, checkCpuList, pinnedArgv } from './cpu-pinning.js'

afterAll(killAll)
afterEach(() => {
  delete process.env[CPUS_ENV]
})

/** The CPUs a process may run on, as the kernel says (`Cpus_allowed_list`). */
function allowedCpus(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return status.match(/^Cpus_allowed_list:\s*(\S+)$/m)![1]!
}

test('under BENCH_CPUS a bench child runs on those CPUs only, under its own pid', async () => {
  process.env[CPUS_ENV] = '0'
  const child = new Child({ name: 'pinned', command: ['sleep', '30'] })
  // taskset execs the command: wait until the pid is sleep's own, then ask the kernel.
  const deadline = Date.now() + 5000
  while (readFileSync(`/proc/${child.pid}/comm`, 'utf8').trim() !== 'sleep') {
    if (Date.now() > deadline) throw new Error('the pinned child never became sleep')
    await Bun.sleep(10)
  }
  expect(allowedCpus(child.pid)).toBe('0')
  await child.kill()
})

test('a bench script child is pinned too, and runs', async () => {
  process.env[CPUS_ENV] = '0'
  const child = new Child({
    name: 'pinned limit relay',
    script: 'processes/limit-relay.ts',
    env: { HOST: '127.0.0.1', PORT: 0, LIMIT_ADAPTER: 'bun' },
  })
  await child.waitFor(/Limit relay listening on ws:\/\/127\.0\.0\.1:\d+/, 15_000)
  expect(allowedCpus(child.pid)).toBe('0')
  await child.kill()
})

test('without BENCH_CPUS a child may run anywhere', async () => {
  const child = new Child({ name: 'free', command: ['sleep', '30'] })
  await Bun.sleep(50)
  expect(allowedCpus(child.pid)).toBe(allowedCpus(process.pid))
  await child.kill()
  expect(pinnedArgv(['x'], undefined)).toEqual(['x'])
})

test('a CPU list is checked: its form, its ranges, and that the CPUs exist', () => {
  expect(checkCpuList('0', 2)).toBe('0')
  expect(checkCpuList('0,1', 2)).toBe('0,1')
  expect(checkCpuList('0-1', 2)).toBe('0-1')
  expect(() => checkCpuList('zero', 2)).toThrow('--cpus needs a CPU list like 0, 0,1 or 0-1')
  expect(() => checkCpuList('0,', 2)).toThrow('--cpus needs a CPU list')
  expect(() => checkCpuList('1-0', 2)).toThrow('runs backwards')
  expect(() => checkCpuList('2', 2)).toThrow('CPU 2 does not exist here (this machine has CPUs 0-1)')
  expect(pinnedArgv(['bun', 'x.ts'], '1')).toEqual(['/usr/bin/taskset', '-c', '1', 'bun', 'x.ts'])
  expect(() => pinnedArgv(['bun'], '9')).toThrow('CPU 9 does not exist')
})
