import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { nkeys } from '@nats-io/transport-node'
import { CliError } from './cli-error.js'
import { clusterLine, natsUrlProblem, redactedUrl } from './cluster-flags.js'
import { parseArgs } from './parse-args.js'
import { relayCommand, relayOptionsFrom } from './relay-command.js'

const dir = mkdtempSync(join(tmpdir(), 'spider-mesh-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** The relay's options from a command line and environment, as `spider-mesh relay` builds them. */
const options = (argv: string[], env: Record<string, string> = {}) =>
  relayOptionsFrom(parseArgs(argv, relayCommand.flags, 'relay', env))

/** The message of the usage error (exit code 2) that building the options throws. */
function usage(argv: string[], env: Record<string, string> = {}): string {
  try {
    options(argv, env)
  } catch (err) {
    expect(err).toBeInstanceOf(CliError)
    expect((err as CliError).exitCode).toBe(2)
    return (err as Error).message
  }
  throw new Error('expected a usage error')
}

describe('spider-mesh relay cluster flags', () => {
  test('no --nats and no NATS_URL: no cluster', () => {
    expect(options([]).cluster).toBeUndefined()
  })

  test('--nats (repeatable), --cluster-name, --cluster-prefix, --prefer-local', () => {
    const cluster = options([
      '--nats',
      'nats://10.0.0.2:4222',
      '--nats',
      'tls://10.0.0.3:4222',
      '--cluster-name',
      'eu-1',
      '--cluster-prefix',
      'acme.prod',
      '--prefer-local',
    ]).cluster
    expect(cluster).toEqual({
      nats: ['nats://10.0.0.2:4222', 'tls://10.0.0.3:4222'],
      name: 'eu-1',
      prefix: 'acme.prod',
      preferLocal: true,
    })
  })

  test('the environment: NATS_URL comma-separated, CLUSTER_NAME, CLUSTER_PREFIX, PREFER_LOCAL=1; flags win', () => {
    const env = {
      NATS_URL: 'nats://a:4222,nats://b:4222',
      CLUSTER_NAME: 'B',
      CLUSTER_PREFIX: 'mesh',
      PREFER_LOCAL: '1',
    }
    expect(options([], env).cluster).toEqual({
      nats: ['nats://a:4222', 'nats://b:4222'],
      name: 'B',
      prefix: 'mesh',
      preferLocal: true,
    })
    expect(options(['--nats', 'nats://c:4222', '--cluster-name', 'C'], env).cluster).toMatchObject({
      nats: ['nats://c:4222'],
      name: 'C',
    })
    expect(options([], { ...env, PREFER_LOCAL: '0' }).cluster?.preferLocal).toBeUndefined()
  })

  test('a bad NATS URL names the flag or variable and what is expected', () => {
    expect(usage(['--nats', 'notaurl'])).toBe(
      '--nats expects a NATS server URL such as nats://127.0.0.1:4222 (nats://, tls://, ws:// or wss://), got "notaurl".',
    )
    expect(usage([], { NATS_URL: 'nats://ok:4222,127.0.0.1:4222' })).toStartWith('NATS_URL=')
    for (const bad of ['http://h:4222', 'nats://', 'nats://h:99999', 'nats:// h']) {
      expect(natsUrlProblem(bad)).toBeDefined()
    }
    for (const good of ['nats://127.0.0.1:4222', 'tls://nats.internal', 'ws://h:8080', 'nats://u:p@h:4222']) {
      expect(natsUrlProblem(good)).toBeUndefined()
    }
  })

  test('bad names and prefixes, and cluster settings without a NATS server, are refused', () => {
    expect(usage(['--nats', 'nats://h:4222', '--cluster-name', ''])).toContain(
      '--cluster-name expects a non-empty',
    )
    expect(usage(['--nats', 'nats://h:4222', '--cluster-prefix', 'a.>'])).toContain(
      '--cluster-prefix expects NATS subject tokens',
    )
    expect(usage(['--cluster-name', 'A'])).toBe(
      '--cluster-name only applies to a cluster: give its NATS server with --nats <url> (or NATS_URL).',
    )
    expect(usage([], { CLUSTER_NAME: 'A', NATS_TOKEN: 't' })).toContain('CLUSTER_NAME, NATS_TOKEN only apply')
  })

  test('credentials: user and password, token, a creds file, a TLS CA go to natsOptions', () => {
    const nats = ['--nats', 'nats://h:4222']
    expect(options([...nats, '--nats-user', 'relay', '--nats-pass', 'pw']).cluster?.natsOptions).toEqual({
      user: 'relay',
      pass: 'pw',
    })
    expect(options(nats, { NATS_USER: 'u', NATS_PASS: 'p' }).cluster?.natsOptions).toEqual({
      user: 'u',
      pass: 'p',
    })
    expect(options(nats, { NATS_TOKEN: 's3cret' }).cluster?.natsOptions).toEqual({ token: 's3cret' })
    const ca = join(dir, 'ca.pem')
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n')
    expect(options([...nats, '--nats-tls-ca', ca]).cluster?.natsOptions).toEqual({ tls: { caFile: ca } })

    const seed = new TextDecoder().decode(nkeys.createUser().getSeed())
    const creds = join(dir, 'relay.creds')
    writeFileSync(
      creds,
      `-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n\n` +
        `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
    )
    const auth = options(nats, { NATS_CREDS: creds }).cluster?.natsOptions?.authenticator
    expect(typeof auth).toBe('function')
    expect((auth as (nonce?: string) => { jwt?: string })('nonce').jwt).toBe('eyJ0eXAiOiJKV1QifQ.e30.sig')
  })

  test('contradictory or unreadable credentials are refused with the flags named', () => {
    const nats = ['--nats', 'nats://h:4222']
    expect(usage([...nats, '--nats-user', 'u'])).toStartWith('--nats-user needs its pair')
    expect(usage(nats, { NATS_PASS: 'p' })).toStartWith('NATS_PASS needs its pair')
    expect(usage([...nats, '--nats-token', 't'], { NATS_USER: 'u', NATS_PASS: 'p' })).toStartWith(
      'NATS_USER/NATS_PASS and --nats-token: give one way to authenticate to NATS',
    )
    expect(usage([...nats, '--nats-creds', join(dir, 'missing.creds')])).toMatch(
      /^--nats-creds: cannot read .*missing\.creds \(ENOENT\)\.$/,
    )
    const junk = join(dir, 'junk.creds')
    writeFileSync(junk, 'not a creds file')
    expect(usage(nats, { NATS_CREDS: junk })).toContain('NATS_CREDS: ')
    expect(usage(nats, { NATS_CREDS: junk })).toContain('is not a NATS credentials file')
    expect(usage([...nats, '--nats-tls-ca', join(dir, 'missing.pem')])).toStartWith(
      '--nats-tls-ca: cannot read',
    )
  })

  test('the start-up line names the relay, the NATS servers (credentials masked) and the settings', () => {
    expect(clusterLine({ nats: ['nats://127.0.0.1:4222'], name: 'A' }, 8787)).toBe(
      'Cluster: relay "A" joins the cluster over NATS at nats://127.0.0.1:4222 (prefix spider-mesh)',
    )
    expect(
      clusterLine(
        {
          nats: ['nats://u:pw@a:4222', 'nats://b:4222'],
          prefix: 'p',
          preferLocal: true,
          natsOptions: { token: 't' },
        },
        1,
      ),
    ).toBe(
      `Cluster: relay "${hostname()}:1" joins the cluster over NATS at nats://u:***@a:4222, nats://b:4222 ` +
        '(prefix p, prefer local, NATS token)',
    )
    expect(redactedUrl('nats://tok3n@h:4222')).toBe('nats://***@h:4222')
    expect(redactedUrl('nats://h:4222')).toBe('nats://h:4222')
  })
})
