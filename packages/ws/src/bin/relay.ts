#!/usr/bin/env node
/**
 * The runnable relay: `bun run relay`, or `spider-mesh-relay` from the built package under Node.
 * The same as `spider-mesh relay` (flags included; see `--help`). Environment: PORT (default
 * 8787, 0 picks a free port), HOST (default 127.0.0.1), RELAY_PATH, HEARTBEAT_MS,
 * MAX_PAYLOAD_BYTES and the other limits, RELAY_ADAPTER ('bun' or 'node'; default 'bun' under Bun),
 * DASHBOARD=1 (serve the live dashboard at http://HOST:PORT/), TLS_CERT and TLS_KEY (PEM files),
 * AUTH_TOKEN (accept only nodes sending this token), LOG_FORMAT=json (JSON log lines), TOPICS
 * (the topic history policies as JSON, e.g. {"chat.*":{"retain":50}}); to join
 * a cluster of relays over NATS, NATS_URL (comma-separated), CLUSTER_NAME, CLUSTER_PREFIX,
 * PREFER_LOCAL=1 and the NATS credentials NATS_USER/NATS_PASS, NATS_TOKEN, NATS_CREDS (a .creds
 * file), NATS_TLS_CA (a PEM file).
 */
import { runCli } from '../cli/run-cli.js'

process.exit(await runCli(['relay', ...process.argv.slice(2)]))
