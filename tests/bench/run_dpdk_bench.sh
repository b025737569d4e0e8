#!/usr/bin/env bash
# DPDK segment forwarding per lcore (issue 8): dpdk-testpmd io and macswap forwarding and vtps's
# segment forwarder (no rules) on the same kind of ports, one after the other in one run: two
# loopback net_ring ports, 32 packets per port circulating (testpmd --tx-first), one lcore.
# Then the filters: a pcap of TCP flows replayed from memory by net_pcap (infinite_rx) into
# net_null (no-rx), testpmd io on those ports, and vtps without filters, with the filters and no
# rules, and with 1,000 rules (dpdk_bench --rules; RULES overrides the list, default 0,1000).
#   tests/bench/run_dpdk_bench.sh [SECONDS]   (default 5 per measurement; needs root for EAL)
# BUILD_DIR (default: build-bench in the repository) is configured with Ninja in Release mode.
# cycles/packet, for both: the forwarding lcore's on-CPU time (/proc/.../schedstat, so that time
# spent waiting for a shared CPU does not count) in cycles, divided by the packets it received.
# testpmd's own figure (cycles inside bursts that received packets) is printed beside it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
build="${BUILD_DIR:-$repo/build-bench}"
seconds="${1:-5}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# shellcheck source=tests/bench/lib/release_build.sh
source "$repo/tests/bench/lib/release_build.sh"
bench_release_build "$build" dpdk_bench
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd missing (ci/setup: dpdk-dev)" >&2; exit 1; }
main_cpu=0
worker_cpu=$(($(nproc) - 1))
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), dpdk $(pkg-config --modversion libdpdk), lcore on cpu $worker_cpu"

# testpmd MODE: forwarding starts at once; its worker lcore's on-CPU time (schedstat) is read
# just before SIGINT, and the packets from its exit statistics. Prints "CYCLES_PER_PACKET".
# PORTS (default: two net_ring ports with --tx-first) may name other vdevs.
testpmd() {
  local mode=$1 tp cpu_ns=0 t line busy mhz packets cpp mpps
  local ports=${PORTS:---vdev net_ring0 --vdev net_ring1} first=${TX_FIRST---tx-first}
  # shellcheck disable=SC2086
  dpdk-testpmd --lcores "0@$main_cpu,1@$worker_cpu" --no-huge -m 512 --no-shconf --no-pci \
    --no-telemetry --log-level lib.eal:error $ports -- \
    --forward-mode="$mode" $first --nb-cores=1 --record-core-cycles --stats-period 1000 \
    --total-num-mbufs 8192 </dev/null >"$log" 2>&1 &
  tp=$!
  sleep "$((seconds + 1))"
  for t in /proc/$tp/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = rte-worker-1 ] && read -r cpu_ns _ <"$t/schedstat"
  done
  kill -INT "$tp"
  wait "$tp" || true
  line=$(grep 'CPU cycles/packet=' "$log" || true)
  [ -n "$line" ] && [ "$cpu_ns" != 0 ] || { cat "$log" >&2; echo "testpmd: no figures" >&2; exit 1; }
  busy=$(sed -E 's/.*CPU cycles\/packet=([0-9.]+).*/\1/' <<<"$line")
  mhz=$(sed -E 's/.* at ([0-9]+) MHz.*/\1/' <<<"$line")
  packets=$(grep -A1 'Accumulated forward statistics' "$log" |
            sed -nE 's/.*RX-packets: ([0-9]+).*/\1/p')
  read -r cpp mpps < <(awk -v p="$packets" -v ns="$cpu_ns" -v m="$mhz" \
    'BEGIN{printf "%.2f %.2f\n", ns * m / 1000 / p, p / (ns / 1e9) / 1e6}')
  echo "testpmd $mode forwarding: packets=$packets on-cpu=$(awk -v ns="$cpu_ns" \
    'BEGIN{printf "%.2f", ns/1e9}')s cycles/packet=$cpp Mpps=$mpps (testpmd's busy-cycle figure: $busy)" >&2
  echo "$cpp"
}
# io: no packet data touched (the issue's reference); macswap: reads and writes each Ethernet
# header, a floor for anything that looks into packets.
exec 3>&1
tp_cpp=$(testpmd io 2>&3)
swap_cpp=$(testpmd macswap 2>&3)
"$build/tests/bench/dpdk_bench" --seconds "$seconds" --cpus "$main_cpu,$worker_cpu" | tee "$log"
while read -r l; do
  flows=$(sed -E 's/.*flows=([0-9]+).*/\1/' <<<"$l")
  cpp=$(sed -E 's/.*cycles\/packet=([0-9.]+).*/\1/' <<<"$l")
  fmt='ratio vtps/testpmd cycles per packet, %s flow(s): %.2fx io (goal <= 1.5x), %.2fx macswap\n'
  awk -v f="$flows" -v c="$cpp" -v t="$tp_cpp" -v s="$swap_cpp" -v fmt="$fmt" \
    'BEGIN{printf fmt, f, c / t, c / s}'
done < <(grep '^vtps segment forwarding' "$log")

# The filters: testpmd io on net_pcap (the same flows, from memory) -> net_null, then vtps.
pcap=$(mktemp --suffix=.pcap)
trap 'rm -f "$log" "$pcap"' EXIT
"$build/tests/bench/dpdk_bench" --write-flows-pcap "$pcap" >/dev/null
pcap_cpp=$(PORTS="--vdev net_pcap0,rx_pcap=$pcap,infinite_rx=1 --vdev net_null0,no-rx=1" \
  TX_FIRST="" testpmd io 2>&3)
"$build/tests/bench/dpdk_bench" --seconds "$seconds" --cpus "$main_cpu,$worker_cpu" --flows "" \
  --rules "${RULES:-0,1000}" | tee "$log"
while read -r l; do
  what=$(sed -E 's/^vtps segment with filters: (.*) packets=.*/\1/' <<<"$l")
  cpp=$(sed -E 's/.*cycles\/packet=([0-9.]+).*/\1/' <<<"$l")
  awk -v w="$what" -v c="$cpp" -v t="$pcap_cpp" \
    'BEGIN{printf "ratio vtps/testpmd io cycles per packet on net_pcap -> net_null, %s: %.2fx\n", w, c / t}'
done < <(grep '^vtps segment with filters' "$log")
