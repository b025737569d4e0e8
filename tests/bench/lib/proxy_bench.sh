# shellcheck shell=bash
# Shared by run_server_bench.sh and run_client_bench.sh (sourced after tests/e2e/lib/topology.sh):
# the build, process-tree CPU and memory accounting, the nginx origin of the benchmarks, and the
# three measurements every proxy goes through with the same client (tls_load):
#
#   bench_conns  LABEL PIDS_FN TARGET N C [tls_load args]  new connections per CPU-second
#   bench_bulk   LABEL PIDS_FN TARGET N C [tls_load args]  MiB relayed per CPU-second
#   bench_idle   LABEL PIDS_FN TARGET N [tls_load args]    resident KiB per idle connection
#
# PIDS_FN is the name of a function printing the proxy's root PID: CPU (utime + stime of every
# thread, from /proc/PID/stat) and VmRSS are summed over that process and all its descendants
# (Squid's kid and certificate helpers). Results go to $BENCH_RESULTS as "LABEL METRIC VALUE".

# shellcheck source=tests/bench/lib/release_build.sh
source "$(dirname "${BASH_SOURCE[0]}")/release_build.sh"
BENCH_CLK_TCK=$(getconf CLK_TCK)
BENCH_RESULTS=""
BENCH_SMALL=/small
BENCH_LARGE=/file1m

# bench_build: configures BUILD_DIR (Release, benchmarks on) if needed and builds vtpsd, vtpsctl
# and tls_load (bench_release_build); the build output is shown only when it fails.
# BENCH_PREBUILT=1 builds nothing: VTPSD, VTPSCTL and TLS_LOAD name binaries built elsewhere.
bench_build() {
  if [ "${BENCH_PREBUILT:-0}" = 1 ]; then
    if ! [ -x "$VTPSD" ] || ! [ -x "$VTPSCTL" ] || ! [ -x "${TLS_LOAD:-}" ]; then
      e2e_fail "BENCH_PREBUILT=1 needs executables VTPSD, VTPSCTL and TLS_LOAD"
    fi
    return 0
  fi
  bench_release_build "$E2E_BUILD_DIR" appliance/vtpsd appliance/vtpsctl tests/bench/tls_load
  TLS_LOAD=$E2E_BUILD_DIR/tests/bench/tls_load
}

# bench_tree PID: PID and all its descendants, one per line.
bench_tree() {
  local root=$1
  ps -e -o pid=,ppid= | awk -v root="$root" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      print root
      for (changed = 1; changed;) {
        changed = 0
        for (i in pids) {
          p = pids[i]
          if (!(p in seen) && (parent[p] in keep || parent[p] == root)) {
            seen[p] = 1; keep[p] = 1; changed = 1; print p
          }
        }
      }
    }'
}

# bench_cpu_split PID: "UTIME STIME" (clock ticks) of the process tree, all threads: the user
# and the system (kernel, softirq work included) part of its CPU.
bench_cpu_split() {
  local user=0 sys=0 p f
  for p in $(bench_tree "$1"); do
    f=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    f=${f##*) }  # the command name may hold spaces: fields after it, from field 3 (state) on
    # shellcheck disable=SC2086
    set -- $f
    user=$((user + ${12}))
    sys=$((sys + ${13}))
  done
  printf '%s %s\n' "$user" "$sys"
}

# bench_cpu_ticks PID: utime + stime (clock ticks) of the process tree, all threads.
bench_cpu_ticks() {
  local split
  split=$(bench_cpu_split "$1")
  printf '%s\n' "$((${split% *} + ${split#* }))"
}

# bench_cpu_delta BEFORE AFTER: the ticks (user + system) between two bench_cpu_split readings.
bench_cpu_delta() { printf '%s\n' "$((${2% *} + ${2#* } - ${1% *} - ${1#* }))"; }

# bench_cpu_ms BEFORE AFTER: "T ms proxy CPU (U user, S system)" between two bench_cpu_split
# readings.
bench_cpu_ms() {
  local u=$(((${2% *} - ${1% *}) * 1000 / BENCH_CLK_TCK))
  local s=$(((${2#* } - ${1#* }) * 1000 / BENCH_CLK_TCK))
  printf '%s ms proxy CPU (%s user, %s system)\n' "$((u + s))" "$u" "$s"
}

# bench_rss_kb PID: VmRSS (KiB) summed over the process tree.
bench_rss_kb() {
  local total=0 p v
  for p in $(bench_tree "$1"); do
    v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    total=$((total + ${v:-0}))
  done
  printf '%s\n' "$total"
}

# bench_settle LABEL PID: waits (up to 600 s) until the proxy is idle, under 3 ticks of CPU in a
# second, so that start-up work is not charged to the first measurement: vtpsd's client proxy
# fills its leaf-key pool in the background, 64 RSA-2048 keys, about 10 CPU-seconds at nice +10,
# which takes minutes of wall time on a loaded machine.
bench_settle() {
  local label=$1 pid=$2 a b i
  for ((i = 0; i < 600; i++)); do
    a=$(bench_cpu_ticks "$pid")
    sleep 1
    b=$(bench_cpu_ticks "$pid")
    if [ $((b - a)) -lt 3 ]; then
      [ "$i" -lt 3 ] || e2e_log "$label: idle after ${i} s of start-up work"
      return 0
    fi
  done
  e2e_log "$label: still busy after 600 s ($((b - a)) ticks/s); measuring anyway"
}

bench_record() {
  printf '%s %s %s\n' "$1" "$2" "$3" >>"$BENCH_RESULTS"
  e2e_log "$1 $2 = $3"
}

# bench_report_resumption: how many of the running vtpsd's upstream handshakes resumed a kept
# session (serverResumed of serverTls12 + serverTls13), every phase since it started.
bench_report_resumption() {
  local resumed upstream
  resumed=$(counter npSslInspProtocolStats serverResumed)
  upstream=$(($(counter npSslInspProtocolStats serverTls12) +
    $(counter npSslInspProtocolStats serverTls13)))
  e2e_log "vtpsd resumed $resumed of $upstream upstream handshakes"
}

# bench_run_load OUTFILE TARGET ARGS...: tls_load in the client namespace, "ok=..." in OUTFILE.
bench_run_load() {
  local out=$1 target=$2
  shift 2
  in_cli "$TLS_LOAD" --connect "$target" "$@" >"$out" 2>"$out.err" || {
    cat "$out.err" >&2
    e2e_fail "tls_load $* against $target: $(cat "$out")"
  }
}

# bench_perf_start LABEL PHASE PID / bench_perf_stop: with BENCH_PERF=1, a call-graph profile of
# vtpsd during a phase (perf record, 499 Hz), its report in $E2E_TMP/perf-LABEL-PHASE.txt. Off by
# default: the sampling itself costs the profiled process a little CPU.
BENCH_PERF_PID=""
bench_perf_start() {
  [ "${BENCH_PERF:-0}" = 1 ] && [[ $1 == vtps* ]] || return 0
  BENCH_PERF_OUT=$E2E_TMP/perf-$1-$2
  perf record -q -F 499 -g -p "$3" -o "$BENCH_PERF_OUT.data" >/dev/null 2>&1 &
  BENCH_PERF_PID=$!
  sleep 0.5
}
bench_perf_stop() {
  [ -n "$BENCH_PERF_PID" ] || return 0
  kill -INT "$BENCH_PERF_PID" 2>/dev/null || true
  wait "$BENCH_PERF_PID" 2>/dev/null || true
  BENCH_PERF_PID=""
  perf report -i "$BENCH_PERF_OUT.data" --no-children --percent-limit 1 --stdio \
    >"$BENCH_PERF_OUT.txt" 2>/dev/null || true
  e2e_log "profile: $BENCH_PERF_OUT.txt"
}

bench_field() { sed -n "s/.*\\b$2=\\([0-9.]*\\).*/\\1/p" "$1" | tail -n 1; }

bench_conns() {
  local label=$1 pid=$2 target=$3 n=$4 c=$5 out c0 c1
  shift 5
  out=$E2E_TMP/load-$label-conns
  bench_perf_start "$label" conns "$pid"
  c0=$(bench_cpu_split "$pid")
  bench_run_load "$out" "$target" --mode conn --count "$n" --concurrency "$c" \
    --path "$BENCH_SMALL" "$@"
  c1=$(bench_cpu_split "$pid")
  bench_perf_stop
  local ok secs t
  t=$(bench_cpu_delta "$c0" "$c1")
  ok=$(bench_field "$out" ok)
  secs=$(bench_field "$out" seconds)
  bench_record "$label" conns_per_cpu_s "$(awk -v n="$ok" -v t="$t" -v hz="$BENCH_CLK_TCK" \
    'BEGIN { printf "%.0f", n / (t / hz) }')"
  bench_record "$label" conns_detail "$ok conns in ${secs}s wall, $(bench_cpu_ms "$c0" "$c1")"
}

bench_bulk() {
  local label=$1 pid=$2 target=$3 n=$4 c=$5 out c0 c1
  shift 5
  out=$E2E_TMP/load-$label-bulk
  bench_perf_start "$label" bulk "$pid"
  c0=$(bench_cpu_split "$pid")
  bench_run_load "$out" "$target" --mode bulk --count "$n" --concurrency "$c" \
    --path "$BENCH_LARGE" "$@"
  c1=$(bench_cpu_split "$pid")
  bench_perf_stop
  local bytes secs t
  t=$(bench_cpu_delta "$c0" "$c1")
  bytes=$(bench_field "$out" bytes)
  secs=$(bench_field "$out" seconds)
  bench_record "$label" mib_per_cpu_s "$(awk -v b="$bytes" -v t="$t" -v hz="$BENCH_CLK_TCK" \
    'BEGIN { printf "%.0f", b / 1048576 / (t / hz) }')"
  bench_record "$label" bulk_detail "$((bytes / 1048576)) MiB in ${secs}s wall, $(bench_cpu_ms "$c0" "$c1")"
}

# bench_idle: opens N connections (each one small request, then idle), waits for "ready", lets
# the proxy settle, then reads the RSS delta; closes them by closing tls_load's stdin.
bench_idle() {
  local label=$1 pid=$2 target=$3 n=$4 out fifo r0 r1 lpid i
  shift 4
  out=$E2E_TMP/load-$label-idle
  fifo=$E2E_TMP/idle-$label.fifo
  mkfifo "$fifo"
  sleep 1
  r0=$(bench_rss_kb "$pid")
  ip netns exec "$E2E_NS_CLI" "$TLS_LOAD" --connect "$target" --mode idle --count "$n" \
    --concurrency 100 --path "$BENCH_SMALL" "$@" <"$fifo" >"$out" 2>"$out.err" &
  lpid=$!
  E2E_PIDS+=("$lpid")
  exec 8>"$fifo"
  for ((i = 0; i < 3000; i++)); do
    grep -q '^ready' "$out" 2>/dev/null && break
    kill -0 "$lpid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^ready' "$out" || { cat "$out.err" >&2; e2e_fail "$label: idle connections never ready"; }
  sleep 3
  r1=$(bench_rss_kb "$pid")
  local ok
  ok=$(bench_field "$out" ok)
  exec 8>&-
  wait "$lpid" || true
  bench_record "$label" kib_per_idle_conn "$(awk -v a="$r0" -v b="$r1" -v n="$ok" \
    'BEGIN { printf "%.1f", (b - a) / n }')"
  bench_record "$label" idle_detail "$ok idle conns (of $n): RSS $r0 KiB -> $r1 KiB"
}

# bench_raise_limits: as many descriptors as allowed for every process the script starts (they
# inherit the limit): 10,000 client plus 10,000 upstream connections need more than 20,000, which
# only a process with CAP_SYS_RESOURCE can grant itself; without it the soft limit goes up to the
# hard one and bench_idle_count says how many idle connections fit.
bench_raise_limits() {
  ulimit -Hn 262144 2>/dev/null || true
  ulimit -Sn "$(ulimit -Hn)"
  # The e2e topology's small buffers suit its live-session cases; benchmarks want the defaults.
  in_cli sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456"
  in_app sysctl -qw net.ipv4.tcp_wmem="4096 16384 4194304"
  local ns
  for ns in "$E2E_NS_CLI" "$E2E_NS_APP" "$E2E_NS_SRV"; do
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
    ip netns exec "$ns" sysctl -qw net.core.somaxconn=8192
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_syn_backlog=8192
  done
}

# bench_idle_count WANTED: WANTED, or fewer so that a proxy holding two descriptors per
# connection (client side, server side) stays 1,000 under the descriptor limit.
bench_idle_count() {
  local fit=$((($(ulimit -Sn) - 1000) / 2))
  if [ "$1" -gt "$fit" ]; then
    e2e_log "descriptor limit $(ulimit -Sn): $fit idle connections instead of $1" >&2
    printf '%s\n' "$fit"
  else
    printf '%s\n' "$1"
  fi
}

# bench_origin_start SERVER_BLOCKS...: nginx for the benchmarks (many connections, long
# keep-alive), /small (1 KiB) and /file1m (1 MiB) in $E2E_TMP/www; the server blocks are given.
bench_origin_start() {
  local d=$E2E_TMP/nginx
  mkdir -p "$d" "$E2E_TMP/www"
  head -c 1024 /dev/urandom >"$E2E_TMP/www/small"
  head -c 1048576 /dev/urandom >"$E2E_TMP/www/file1m"
  chmod -R a+rX "$E2E_TMP/www"
  {
    printf 'worker_processes 2;\nworker_rlimit_nofile 100000;\ndaemon off;\nuser root;\n'
    printf 'pid %s/nginx.pid;\nerror_log %s/error.log warn;\n' "$d" "$d"
    printf 'events { worker_connections 40000; }\nhttp {\n'
    printf '  default_type application/octet-stream;\n  access_log off;\n'
    printf '  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n' "$d" "$d"
    printf '  fastcgi_temp_path %s/fastcgi;\n  uwsgi_temp_path %s/uwsgi;\n' "$d" "$d"
    printf '  scgi_temp_path %s/scgi;\n' "$d"
    printf '  keepalive_timeout 900s;\n  keepalive_requests 1000000;\n  sendfile on;\n'
    printf '  ssl_protocols TLSv1.2 TLSv1.3;\n  ssl_session_cache shared:bench:10m;\n'
    printf '%s\n' "$@"
    printf '}\n'
  } >"$d/nginx.conf"
  in_srv nginx -t -q -c "$d/nginx.conf" || e2e_fail "nginx config rejected"
  e2e_spawn E2E_NGINX_PID "$E2E_NS_SRV" "$d/stderr.log" nginx -c "$d/nginx.conf"
  e2e_wait_for "nginx on $E2E_SERVER_IP:443" 10 origin_port_open "$E2E_SERVER_IP" 443
  e2e_log "origin nginx (pid $E2E_NGINX_PID): /small 1 KiB, /file1m 1 MiB"
}

# bench_wait_port NS ADDR PORT: waits until something accepts on ADDR:PORT from namespace NS.
bench_wait_port() {
  e2e_wait_for "$2:$3" 20 ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3"
}

# bench_expect_issuer ADDR:PORT SNI CN: fails unless the certificate presented to a client in
# vtps-cli is issued by CN (the proxy really decrypts; nothing passes through).
bench_expect_issuer() {
  local issuer
  issuer=$(in_cli openssl s_client -connect "$1" -servername "$2" </dev/null 2>/dev/null |
    openssl x509 -noout -issuer -nameopt multiline | sed -n 's/^ *commonName *= //p')
  e2e_expect_eq "issuer of the certificate presented for $2" "$issuer" "$3"
}

bench_machine_notes() {
  printf 'machine: %s, %s CPUs (%s), %s\n' "$(uname -r)" "$(nproc)" \
    "$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)" \
    "$(awk '/MemTotal/ { printf "%d MiB RAM", $2 / 1024 }' /proc/meminfo)"
  printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_ratio A B: A / B with two decimals ("n/a" when B is 0 or missing).
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

# bench_get LABEL METRIC: a recorded value.
bench_get() { awk -v l="$1" -v m="$2" '$1 == l && $2 == m { print $3 }' "$BENCH_RESULTS" | tail -n 1; }
