#!/usr/bin/env bash
# The status-page benchmark: Firebreak serving /status from memory against
# Debian's nginx serving the same rendered HTML as a static file, in the
# same run, on the same machine, with the same load tool. See
# bench/README.md ("Status page benchmark").
#
#   bench/status.sh                  # 10 s each, 2 wrk threads, 64 connections
#   DURATION=30s bench/status.sh     # longer
#
# Needs: wrk, nginx, curl (Debian packages of those names).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
WRK=${WRK:-/usr/bin/wrk}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_PORT=${NGINX_PORT:-8089}
FB_PORT=${FB_PORT:-8087}

for tool in "$WRK" "$NGINX" curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
log() { printf '== %s\n' "$*" >&2; }

log "building firebreak (release)"
cargo build --release -q -p firebreak
BIN=target/release/firebreak

mkdir -p target/bench
WORK=$(mktemp -d "$PWD/target/bench/status-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 300); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; exit 1
}

# Firebreak on its embedded default, with the page a real one would show:
# six components, one of them in a partial outage from an incident with a
# public update.
log "starting firebreak"
export FIREBREAK_DATA_DIR="$WORK/fb"
"$BIN" serve --listen 127.0.0.1:$FB_PORT --public-url "http://127.0.0.1:$FB_PORT" >"$WORK/fb.out" 2>"$WORK/fb.log" &
FB_PID=$!; PIDS+=("$FB_PID")
wait_for "http://127.0.0.1:$FB_PORT/healthz"
export FIREBREAK_URL="http://127.0.0.1:$FB_PORT"
FIREBREAK_TOKEN=$("$BIN" token create --user admin --name bench)
export FIREBREAK_TOKEN
api() { # method path [json]
  curl -fsS -X "$1" -H "Authorization: Bearer $FIREBREAK_TOKEN" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$FIREBREAK_URL/api/v1$2"
}
id_of() { sed -n 's/^{"id":\([0-9]*\).*/\1/p'; }
api POST /services '{"name":"web","owner_team":"platform","description":"The web application"}' >/dev/null
for c in Website API Dashboard Login Billing Webhooks; do
  api POST /components "{\"name\":\"$c\",\"description\":\"The $c\",\"service\":\"web\",\"public\":true}" >/dev/null
done
INC=$(api POST /incidents '{"title":"Slow API","kind":"availability","severity":"medium","severity_reason":"a slow API for many customers","service":"web"}' | id_of)
COMP=$(api GET /components | tr '{' '\n' | sed -n 's/^"id":\([0-9]*\),"name":"API".*/\1/p' | head -1)
api PUT "/incidents/$INC/components" "{\"components\":[{\"component_id\":$COMP,\"status\":\"partial_outage\"}]}" >/dev/null
NOTICE=$(api POST "/incidents/$INC/notices" '{"kind":"status_post","title":"Slow API responses","impact":"Some API requests take several seconds.","actions":"We are adding capacity.","public_status":"identified","on_status_page":true,"to_customers":false}' | id_of)
api POST "/incidents/$INC/notices/$NOTICE/send" '{"approved":true}' >/dev/null
sleep 2
curl -fsS "http://127.0.0.1:$FB_PORT/status" -o "$WORK/status.html"
grep -q "Slow API responses" "$WORK/status.html" || { echo "the status page does not show the update" >&2; exit 1; }
BYTES=$(wc -c <"$WORK/status.html")

log "starting nginx with the same page ($BYTES bytes)"
mkdir -p "$WORK/nginx/html" "$WORK/nginx/tmp"
cp "$WORK/status.html" "$WORK/nginx/html/status"
# Started as root, nginx's workers run as nobody: let them read the page.
chmod a+x "$WORK" && chmod -R a+rX "$WORK/nginx"
sed -e "s#@ROOT@#$WORK/nginx#g" -e "s#@PORT@#$NGINX_PORT#g" bench/nginx.conf >"$WORK/nginx/nginx.conf"
"$NGINX" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -e "$WORK/nginx/error.log" &
NG_PID=$!; PIDS+=("$NG_PID")
wait_for "http://127.0.0.1:$NGINX_PORT/status"

to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }
declare -A R
run_wrk() { # key url
  log "wrk $1: $2, $DURATION"
  "$WRK" -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$2" >"$WORK/$1.txt"
  R[$1.rps]=$(awk '/^Requests\/sec:/{printf "%.0f", $2}' "$WORK/$1.txt")
  R[$1.p50]=$(awk '$1=="50%"{print $2}' "$WORK/$1.txt" | to_ms)
  R[$1.p99]=$(awk '$1=="99%"{print $2}' "$WORK/$1.txt" | to_ms)
  local bad; bad=$(awk '/Non-2xx/{print $NF}' "$WORK/$1.txt"); R[$1.bad]=${bad:-0}
}
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/status"
run_wrk fb "http://127.0.0.1:$FB_PORT/status"
run_wrk fbjson "http://127.0.0.1:$FB_PORT/api/v2/summary.json"
RSS=$(awk '/^VmHWM/{print $2}' "/proc/$FB_PID/status")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a/b }'; }
{
  echo "# Status page benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency, the same $BYTES-byte page. Ratios are Firebreak / nginx (requests/s: higher is better, target >= 0.8; p99: lower is better, target <= 2)."
  echo
  echo "| server | requests/s | p50 ms | p99 ms | rps ratio | p99 ratio | non-2xx |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  echo "| nginx, static file | ${R[nginx.rps]} | ${R[nginx.p50]} | ${R[nginx.p99]} | 1.00 | 1.00 | ${R[nginx.bad]} |"
  echo "| Firebreak /status | ${R[fb.rps]} | ${R[fb.p50]} | ${R[fb.p99]} | $(ratio "${R[fb.rps]}" "${R[nginx.rps]}") | $(ratio "${R[fb.p99]}" "${R[nginx.p99]}") | ${R[fb.bad]} |"
  echo "| Firebreak /api/v2/summary.json | ${R[fbjson.rps]} | ${R[fbjson.p50]} | ${R[fbjson.p99]} | $(ratio "${R[fbjson.rps]}" "${R[nginx.rps]}") | $(ratio "${R[fbjson.p99]}" "${R[nginx.p99]}") | ${R[fbjson.bad]} |"
  echo
  echo "Firebreak's peak RSS over the runs: $((RSS / 1024)) MB. Raw wrk output: $WORK"
} | tee target/bench/status-report.md
