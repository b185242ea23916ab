#!/usr/bin/env bash
# Requests per second for /urgent.atom (200 items) from tocsin's built-in server, next
# to nginx serving the same file from disk, both measured with wrk on this machine.
#
#   bench/serve.sh            (needs wrk and nginx: apt-get install wrk nginx)
#
# Prints one line per coding (identity, gzip) with both servers' figures and the ratio.
# DURATION (default 10s) and CONNECTIONS (default 32) tune wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/serve.sh: $tool is not installed"; exit 2; }
done
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
cargo build --release --quiet
BIN=$PWD/target/release/tocsin
WORK=$(mktemp -d)
cleanup() {
  [ -n "${TOCSIN_PID:-}" ] && kill "$TOCSIN_PID" 2>/dev/null
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$PWD/bench/gen_feed.py" 300 > "$WORK/feed.rss"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TPORT=$(port)
NPORT=$(port)
printf '%s\n' \
  '[daemon]' 'database = "db.sqlite"' 'schedule = "0 0 0 1 1 *"' \
  '[server]' "listen = \"127.0.0.1:$TPORT\"" \
  '[output]' 'dir = "public"' 'max_items = 200' \
  '[[sources]]' 'id = "bench"' 'url = "file:feed.rss"' 'language = "en"' \
  '[[rules]]' 'name = "case-in-title"' 'keywords = ["arbitrary detention"]' 'fields = ["title"]' \
  > "$WORK/tocsin.toml"
"$BIN" --config "$WORK/tocsin.toml" poll >/dev/null
RUST_LOG=warn "$BIN" --config "$WORK/tocsin.toml" run 2>"$WORK/tocsin.log" &
TOCSIN_PID=$!
printf '%s\n' \
  'user root;' 'worker_processes auto;' "pid $WORK/nginx.pid;" "error_log $WORK/nginx-error.log;" \
  'events { worker_connections 4096; }' \
  'http {' '  access_log off;' '  sendfile on;' '  types { application/atom+xml atom; }' \
  '  gzip on; gzip_types application/atom+xml;' \
  "  server { listen 127.0.0.1:$NPORT; root $WORK/public; }" '}' > "$WORK/nginx.conf"
nginx -c "$WORK/nginx.conf"
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$TPORT/urgent.atom" >/dev/null && curl -sf "http://127.0.0.1:$NPORT/urgent.atom" >/dev/null && break
  sleep 0.1
done
entries=$(curl -s "http://127.0.0.1:$TPORT/urgent.atom" | grep -o '<entry' | wc -l)
size=$(curl -s "http://127.0.0.1:$TPORT/urgent.atom" | wc -c)
cmp <(curl -s "http://127.0.0.1:$TPORT/urgent.atom") <(curl -s "http://127.0.0.1:$NPORT/urgent.atom") \
  || { echo "the two servers do not serve the same document"; exit 1; }
echo "urgent.atom: $entries entries, $size bytes; wrk -t2 -c$CONNECTIONS -d$DURATION; load $(cut -d' ' -f1 /proc/loadavg)"

rps() { wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "$@" | awk '/Requests\/sec/ {print $2}'; }
for coding in identity gzip; do
  if [ "$coding" = gzip ]; then hdr=(-H "Accept-Encoding: gzip"); else hdr=(-H "Accept: */*"); fi
  t=$(rps "${hdr[@]}" "http://127.0.0.1:$TPORT/urgent.atom")
  n=$(rps "${hdr[@]}" "http://127.0.0.1:$NPORT/urgent.atom")
  ratio=$(python3 -c "print(f'{$t/$n:.2f}')")
  printf '%-8s tocsin %10s req/s   nginx %10s req/s   tocsin/nginx %s\n' "$coding" "$t" "$n" "$ratio"
done
