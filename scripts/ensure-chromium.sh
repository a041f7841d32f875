#!/usr/bin/env bash
# The dashboard and browser e2e tests drive Debian's Chromium (/usr/bin/chromium) through
# playwright-core; nothing downloads a browser. Part of `npm test`, so the README's test command
# works on a fresh machine: installs it with apt when it is missing and we may (root, apt-get).
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "=== installing Debian's chromium for the browser and dashboard tests (apt-get)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) && exit 0
fi
echo "chromium is not installed and could not be installed here: the browser and dashboard e2e tests will fail." >&2
echo "Install it (Debian: apt-get install chromium) and run npm test again." >&2
exit 0
