#!/usr/bin/env bash
# The NATS e2e tests start a real nats-server per test (e2e/harness/nats-server.ts); nothing
# downloads it. Part of `npm test`, so the README's test command works on a fresh machine:
# installs Debian's package when it is missing and we may (root, apt-get).
# Debian puts it in /usr/sbin, which a non-root PATH often lacks; the harness looks there too.
if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || [ -x /usr/bin/nats-server ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "=== installing Debian's nats-server for the NATS e2e tests (apt-get)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null) && exit 0
fi
echo "nats-server is not installed and could not be installed here: the NATS e2e tests will fail." >&2
echo "Install it (Debian: apt-get install nats-server, or put the nats-server release binary from" >&2
echo "https://github.com/nats-io/nats-server/releases on PATH) and run npm test again." >&2
exit 0
