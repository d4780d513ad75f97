#!/usr/bin/env bash
# The intake benchmark: Firebreak's Alertmanager intake against Debian's
# Alertmanager's own POST /api/v2/alerts, in the same run, on the same
# machine, with the same load tool (wrk) and the same alerts. See
# bench/README.md for what is measured and how to read it.
#
#   bench/run.sh                 # 10 s per shape, 2 wrk threads, 64 connections
#   DURATION=30s bench/run.sh    # longer
#
# Needs: wrk, prometheus-alertmanager, curl (Debian packages of those names).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
AM_BIN=${AM_BIN:-/usr/bin/prometheus-alertmanager}
WRK=${WRK:-/usr/bin/wrk}
AM_PORT=${AM_PORT:-9093}
FB_PORT=${FB_PORT:-8088}
OPEN_ALERTS=${OPEN_ALERTS:-100000}

for tool in "$WRK" "$AM_BIN" curl; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

log() { printf '== %s\n' "$*" >&2; }

log "building firebreak-bench (release)"
cargo build --release -q -p firebreak-bench
BIN=target/release/firebreak-bench

# On the real disk (target/), not a tmpfs: Firebreak's numbers include fsync.
mkdir -p target/bench
WORK=$(mktemp -d "$PWD/target/bench/run-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() { # url
  for _ in $(seq 1 200); do
    curl -fs -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2; exit 1
}

start_am() { # name
  "$AM_BIN" --config.file=bench/alertmanager.yml --web.listen-address=127.0.0.1:$AM_PORT \
    --cluster.listen-address= --storage.path="$WORK/am-$1" >"$WORK/am-$1.log" 2>&1 &
  AM_PID=$!; PIDS+=("$AM_PID")
  wait_for "http://127.0.0.1:$AM_PORT/-/ready"
}

start_fb() { # name
  "$BIN" serve --data-dir "$WORK/fb-$1" --listen 127.0.0.1:$FB_PORT >"$WORK/fb-$1.out" 2>"$WORK/fb-$1.log" &
  FB_PID=$!; PIDS+=("$FB_PID")
  for _ in $(seq 1 200); do
    grep -q "webhook=" "$WORK/fb-$1.out" 2>/dev/null && break
    sleep 0.1
  done
  FB_PATH=$(sed -n 's/.*webhook=\(.*\)$/\1/p' "$WORK/fb-$1.out")
  [ -n "$FB_PATH" ] || { echo "firebreak-bench did not start" >&2; cat "$WORK/fb-$1.log" >&2; exit 1; }
  wait_for "http://127.0.0.1:$FB_PORT/healthz"
}

stop() { kill "$1"; wait "$1" 2>/dev/null || true; }

rss() { # pid -> "peak_kB current_kB"
  awk '/^VmHWM/{h=$2} /^VmRSS/{r=$2} END{print h, r}' "/proc/$1/status"
}

# wrk's latency as milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'; }

declare -A R
run_wrk() { # key url batch prefix path format repeats
  local key=$1 url=$2 batch=$3 prefix=$4 path=$5 format=$6 repeats=$7
  log "wrk $key: $batch alert(s)/request, $repeats repeats, $DURATION"
  "$WRK" -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s bench/alerts.lua "$url" \
    -- "$batch" 1000000000 "$prefix" "$path" "$format" "$repeats" >"$WORK/$key.txt"
  local rps p50 p99 bad
  rps=$(awk '/^Requests\/sec:/{print $2}' "$WORK/$key.txt")
  p50=$(awk '$1=="50%"{print $2}' "$WORK/$key.txt" | to_ms)
  p99=$(awk '$1=="99%"{print $2}' "$WORK/$key.txt" | to_ms)
  bad=$(awk '/Non-2xx/{print $NF}' "$WORK/$key.txt"); bad=${bad:-0}
  R[$key.aps]=$(awk -v r="$rps" -v b="$batch" 'BEGIN{printf "%.0f", r*b}')
  R[$key.p50]=$p50; R[$key.p99]=$p99; R[$key.bad]=$bad
  R[$key.errors]=$(grep -c "Socket errors" "$WORK/$key.txt" || true)
}

log "throughput: Alertmanager"
start_am tp
run_wrk am1 "http://127.0.0.1:$AM_PORT" 1 s1 /api/v2/alerts postable 0
run_wrk am1h "http://127.0.0.1:$AM_PORT" 1 h1 /api/v2/alerts postable 50%
run_wrk am100 "http://127.0.0.1:$AM_PORT" 100 s100 /api/v2/alerts postable 50
read -r R[am.tp_hwm] R[am.tp_rss] < <(rss "$AM_PID")
stop "$AM_PID"

log "throughput: Firebreak"
start_fb tp
run_wrk fb1 "http://127.0.0.1:$FB_PORT" 1 s1 "$FB_PATH" webhook 0
run_wrk fb1h "http://127.0.0.1:$FB_PORT" 1 h1 "$FB_PATH" webhook 50%
run_wrk fb100 "http://127.0.0.1:$FB_PORT" 100 s100 "$FB_PATH" webhook 50
read -r R[fb.tp_hwm] R[fb.tp_rss] < <(rss "$FB_PID")
stop "$FB_PID"

log "memory with $OPEN_ALERTS open alerts: Alertmanager"
start_am rss
"$BIN" load --url "http://127.0.0.1:$AM_PORT/api/v2/alerts" --format postable --alerts "$OPEN_ALERTS" --prefix rss >&2
read -r R[am.hwm] R[am.rss] < <(rss "$AM_PID")
stop "$AM_PID"

log "memory with $OPEN_ALERTS open alerts: Firebreak"
start_fb rss
"$BIN" load --url "http://127.0.0.1:$FB_PORT$FB_PATH" --format webhook --alerts "$OPEN_ALERTS" --prefix rss >&2
read -r R[fb.hwm] R[fb.rss] < <(rss "$FB_PID")
FB_OPEN=$(curl -fs "http://127.0.0.1:$FB_PORT/metrics" | awk '/^firebreak_untriaged_reports /{print $2}')
stop "$FB_PID"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "n/a"; else printf "%.2f", a/b }'; }
mb() { awk -v k="$1" 'BEGIN{printf "%.0f", k/1024}'; }

{
  echo "# Intake benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency -s bench/alerts.lua. Firebreak: SQLite, synchronous=FULL, 2xx only after the commit."
  echo "Ratios are Firebreak / Alertmanager (alerts/s: higher is better; latency and memory: lower is better)."
  echo
  echo "| shape | Alertmanager alerts/s | Firebreak alerts/s | ratio | AM p50 ms | FB p50 ms | AM p99 ms | FB p99 ms | p99 ratio | FB non-2xx |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for s in 1 1h 100; do
    case $s in
      1) name="1 alert/request, all new" ;;
      1h) name="1 alert/request, every other one a repeat" ;;
      100) name="100 alerts/request, 50 repeats + 50 new" ;;
    esac
    echo "| $name | ${R[am$s.aps]} | ${R[fb$s.aps]} | $(ratio "${R[fb$s.aps]}" "${R[am$s.aps]}") | ${R[am$s.p50]} | ${R[fb$s.p50]} | ${R[am$s.p99]} | ${R[fb$s.p99]} | $(ratio "${R[fb$s.p99]}" "${R[am$s.p99]}") | ${R[fb$s.bad]} |"
  done
  echo
  echo "| memory | Alertmanager MB | Firebreak MB | ratio |"
  echo "| --- | ---: | ---: | ---: |"
  echo "| peak RSS, $OPEN_ALERTS open alerts (fresh process) | $(mb "${R[am.hwm]}") | $(mb "${R[fb.hwm]}") | $(ratio "${R[fb.hwm]}" "${R[am.hwm]}") |"
  echo "| RSS after loading them | $(mb "${R[am.rss]}") | $(mb "${R[fb.rss]}") | $(ratio "${R[fb.rss]}" "${R[am.rss]}") |"
  echo "| peak RSS over the throughput runs | $(mb "${R[am.tp_hwm]}") | $(mb "${R[fb.tp_hwm]}") | $(ratio "${R[fb.tp_hwm]}" "${R[am.tp_hwm]}") |"
  echo
  echo "Firebreak reported $FB_OPEN untriaged reports (one per open alert) after the memory load."
  echo "Raw wrk output: $WORK"
} | tee target/bench/report.md
