#!/usr/bin/env bash
# Requests per second for /urgent.atom while per-source documents are requested in
# turn (each one rendered on demand, as with output.on_disk = "main"), next to
# /urgent.atom alone: what a crawler walking every sources/ID.atom costs everyone else.
#
#   bench/ondemand.sh            (needs wrk: apt-get install wrk)
#
# SOURCES (default 10000) sources, each with ITEMS (default 5) items; wrk -t1 on each
# side, CONNECTIONS (default 16) connections, DURATION (default 10s). BIN runs another
# build of tocsin (default: this tree's release build).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/ondemand.sh: $tool is not installed"; exit 2; }
done
SOURCES=${SOURCES:-10000}
ITEMS=${ITEMS:-5}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-16}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$PWD/target/release/tocsin
fi
WORK=$(mktemp -d)
cleanup() {
  [ -n "${TOCSIN_PID:-}" ] && kill "$TOCSIN_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$PWD/bench/gen_feed.py" "$ITEMS" > "$WORK/feed.rss"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  printf '%s\n' '[daemon]' 'database = "db.sqlite"' 'schedule = "0 0 0 1 1 *"' 'concurrency = 64' \
    '[server]' "listen = \"127.0.0.1:$PORT\"" \
    '[output]' 'dir = "public"' 'max_items = 200' \
    '[[rules]]' 'name = "case-in-title"' 'keywords = ["arbitrary detention"]' 'fields = ["title"]'
  for i in $(seq 0 $((SOURCES - 1))); do
    printf '[[sources]]\nid = "s%d"\nurl = "file:feed.rss"\nlanguage = "en"\n' "$i"
  done
} > "$WORK/tocsin.toml"
start=$(date +%s)
"$BIN" --config "$WORK/tocsin.toml" poll >/dev/null
echo "setup: $SOURCES sources x $ITEMS items polled in $(( $(date +%s) - start )) s"
RUST_LOG=warn "$BIN" --config "$WORK/tocsin.toml" run 2>"$WORK/tocsin.log" &
TOCSIN_PID=$!
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/urgent.atom" >/dev/null && break
  sleep 0.1
done

# Each wrk thread walks the sources in turn from its own starting point.
cat > "$WORK/walk.lua" <<EOF
local n = 0
init = function(args) n = math.random(0, $SOURCES - 1) end
request = function()
  n = (n + 1) % $SOURCES
  return wrk.format("GET", "/sources/s" .. n .. ".atom")
end
EOF
rps() { awk '/Requests\/sec/ {print $2}'; }
alone=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$PORT/urgent.atom" | rps)
wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/walk.lua" "http://127.0.0.1:$PORT/" > "$WORK/walk.out" &
WALK=$!
sleep 1
under=$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$PORT/urgent.atom" | tee "$WORK/urgent.out" | rps)
wait "$WALK"
walked=$(rps < "$WORK/walk.out")
p99=$(awk '$1 == "99%" {print $2}' "$WORK/urgent.out")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$WORK/walk.out")
rss=$(awk '/VmRSS/ {print $2, $3}' "/proc/$TOCSIN_PID/status")
echo "load $(cut -d' ' -f1 /proc/loadavg); wrk -t1 -c$CONNECTIONS -d$DURATION per side"
printf 'urgent.atom alone:                  %10s req/s\n' "$alone"
printf 'urgent.atom while sources walked:   %10s req/s  (p99 %s)\n' "$under" "$p99"
printf 'sources/ID.atom walked in turn:     %10s req/s  (non-2xx: %s)\n' "$walked" "${non2xx:-0}"
printf 'daemon RSS after the walk:          %10s\n' "$rss"
