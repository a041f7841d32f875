#!/usr/bin/env bash
# Profiles one process of the unary bench with Linux perf (CPU samples only), with JIT names.
#
#   bash bench/perf/profile-unary.sh mesh|limit relay|provider|caller|none [INFLIGHT] [DURATION_MS]
#
# Starts the relay, provider and caller of `spider-mesh-bun` (mesh) or `limit-bun` (limit) on
# 127.0.0.1 (an ephemeral port), attaches `perf record -g -e cpu-clock` to the chosen process for
# the measured window, and prints where its CPU went (attribute.ts) and the CPU µs per call of the
# relay and the provider (from /proc). With `none` (no profile) it also prints each process's user
# and kernel CPU µs and minor page faults per call. Output files are in /tmp/spider-mesh-perf/SYS-TARGET-N/.
# Needs `perf` (Debian: linux-perf) and a build (`bun run build`); stops what it started by PID.
set -euo pipefail
SYS=${1:?mesh or limit}; TARGET=${2:?relay, provider, caller or none}; INFLIGHT=${3:-1}; DURATION=${4:-6000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUN=$ROOT/node_modules/.bin/bun
OUT=/tmp/spider-mesh-perf/$SYS-$TARGET-$INFLIGHT
rm -rf "$OUT" && mkdir -p "$OUT"
cd "$ROOT/bench"
case $SYS in
  mesh) RELAY=processes/mesh-relay.ts; PROVIDER=processes/mesh-provider.ts; CALLER=processes/mesh-caller.ts; ADAPTER=(RELAY_ADAPTER=bun) ;;
  limit) RELAY=processes/limit-relay.ts; PROVIDER=processes/limit-provider.ts; CALLER=processes/limit-caller.ts; ADAPTER=(LIMIT_ADAPTER=bun) ;;
  *) echo "unknown system $SYS (mesh or limit)" >&2; exit 2 ;;
esac
# The processes exit when their stdin closes (lifeline.ts): each reads a FIFO held open by a sleep.
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
lifeline() { mkfifo "$OUT/$1.in"; sleep 3600 > "$OUT/$1.in" & pids+=($!); }
jit() { if [ "$TARGET" = "$1" ]; then echo "BUN_JSC_useJITDump=1 BUN_JSC_jitDumpDirectory=$OUT"; fi; }
waitfor() { for _ in $(seq 300); do grep -q "$2" "$OUT/$1.out" 2>/dev/null && return 0; sleep 0.1; done; echo "$1 never printed $2" >&2; cat "$OUT/$1.out" >&2; exit 1; }
lifeline relay; lifeline provider; lifeline caller
env HOST=127.0.0.1 PORT=0 "${ADAPTER[@]}" $(jit relay) "$BUN" $RELAY < "$OUT/relay.in" > "$OUT/relay.out" 2>&1 & RELAY_PID=$!; pids+=($RELAY_PID)
waitfor relay listening
URL=$(grep -o 'ws://[^ ]*' "$OUT/relay.out" | head -1)
env RELAY_URL="$URL" $(jit provider) "$BUN" $PROVIDER < "$OUT/provider.in" > "$OUT/provider.out" 2>&1 & PROVIDER_PID=$!; pids+=($PROVIDER_PID)
waitfor provider READY
env RELAY_URL="$URL" MODE=unary INFLIGHT="$INFLIGHT" WARMUP_MS=1500 WARMUP_CALLS=25000 WARMUP_MAX_MS=10000 DURATION_MS="$DURATION" $(jit caller) \
  "$BUN" $CALLER < "$OUT/caller.in" > "$OUT/caller.out" 2>&1 & CALLER_PID=$!; pids+=($CALLER_PID)
waitfor caller MEASURING
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# User ticks, system ticks and minor page faults of the three processes, caller first.
cpu_split() { for pid in "$@"; do awk '{printf "%s %s %s ", $14, $15, $10}' "/proc/$pid/stat"; done; }
R0=$(ticks $RELAY_PID); P0=$(ticks $PROVIDER_PID)
case $TARGET in relay) PID=$RELAY_PID ;; provider) PID=$PROVIDER_PID ;; caller) PID=$CALLER_PID ;; *) PID= ;; esac
S0=$(cpu_split $CALLER_PID $RELAY_PID $PROVIDER_PID)
# The profile and the CPU split both cover the window but its last second (the caller still runs).
SPLIT_S=$((DURATION / 1000 - 1)); [ "$SPLIT_S" -ge 1 ] || SPLIT_S=1
if [ -z "$PID" ]; then sleep "$SPLIT_S"; S1=$(cpu_split $CALLER_PID $RELAY_PID $PROVIDER_PID); fi
if [ -n "$PID" ]; then
  perf record -q -g -e cpu-clock -F 4000 -p "$PID" -o "$OUT/perf.data" -- sleep "$SPLIT_S" > "$OUT/perf.log" 2>&1
fi
waitfor caller RESULT
R1=$(ticks $RELAY_PID); P1=$(ticks $PROVIDER_PID)
COUNT=$(grep -o '"count":[0-9]*' "$OUT/caller.out" | grep -o '[0-9]*$')
HZ=$(getconf CLK_TCK)
echo "$(grep -o 'RESULT.*' "$OUT/caller.out")"
awk -v r=$((R1 - R0)) -v p=$((P1 - P0)) -v hz="$HZ" -v n="$COUNT" \
  'BEGIN { printf "relay CPU µs/call %.1f, provider %.1f (over the measured window; perf adds its own cost when profiling)\n", r * 1e6 / hz / n, p * 1e6 / hz / n }'
# Where the CPU went in each process: user against kernel time (on loopback the kernel does the
# receiver's TCP work and its wake-up inside the sender's send), per call over the window but its
# last second, at the window's mean rate. Without a profile only, so perf's cost stays out of it.
if [ -z "$PID" ]; then
  RPS=$(grep -o '"rps":[0-9]*' "$OUT/caller.out" | grep -o '[0-9]*$')
  echo "$S0 $S1" | awk -v n=$((RPS * SPLIT_S)) -v s="$SPLIT_S" -v hz="$HZ" '{ k = 1e6 / hz / n
    printf "user / system CPU µs per call, minor faults per call (%d s):", s
    split("caller relay provider", name, " ")
    for (i = 0; i < 3; i++) printf " %s %.1f / %.1f, %.2f;", name[i + 1], ($(10 + 3 * i) - $(1 + 3 * i)) * k, ($(11 + 3 * i) - $(2 + 3 * i)) * k, ($(12 + 3 * i) - $(3 + 3 * i)) / n
    printf "\n" }'
fi
if [ -n "$PID" ]; then
  "$BUN" perf/jit-map.ts "$OUT"/jit-*.dump > /dev/null
  perf script -i "$OUT/perf.data" -F comm,ip,sym 2>/dev/null | "$BUN" perf/attribute.ts
fi
