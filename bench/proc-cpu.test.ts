import { describe, expect, test } from 'bun:test'
import { CpuMeter, cpuMicros, cpuTicksOfStat } from './proc-cpu.js'

describe('cpuTicksOfStat', () => {
  test('adds utime and stime, counting fields after the command name', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    expect(cpuTicksOfStat('4242 (bun) S 1 4242 4242 0 -1 4194304 900 0 0 0 157 43 0 0 20 0 4')).toBe(200)
  })

  test('is not fooled by spaces and parentheses in the command name', () => {
    expect(cpuTicksOfStat('7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 6 0 0')).toBe(11)
  })

  test('is NaN for text that is not a stat line', () => {
    expect(cpuTicksOfStat('')).toBeNaN()
  })
})

describe('CpuMeter', () => {
  test('reads NaN for a process it cannot see, and a number for this one', () => {
    const meter = new CpuMeter({ gone: 2 ** 30, self: process.pid })
    meter.start()
    const perUnit = meter.perUnit(1)
    expect(perUnit.gone).toBeNaN()
    if (Number.isFinite(cpuMicros(process.pid))) expect(perUnit.self).toBeGreaterThanOrEqual(0)
  })
})
