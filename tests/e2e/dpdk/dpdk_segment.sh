#!/usr/bin/env bash
# e2e (issue 8): vtpsd with device.dataplane dpdk bridges an L2 segment between two
# net_af_packet ports that have no IP address. A client pings and fetches a page from a server
# on the same subnet through it; `vtpsctl show dataplane` counts both directions and the flows.
# A request a reject rule matches is dropped and both hosts' TCP stacks take the resets the
# segment sends (curl fails at once with a reset, block.log has the line).
#
#   vtps-dp-cli 10.30.1.1 [vdp-c0]--veth--[vdp-a0] vtps-dp-app [vdp-a1]--veth--[vdp-s0] 10.30.1.2 vtps-dp-srv
#
# Own namespace and interface names (vtps-dp-*, vdp-*), so it runs beside the other e2e tests.
# Needs root, vtpsd/vtpsctl (VTPSD, VTPSCTL), ethtool, curl, python3. Everything it creates is
# removed on exit, pass or fail.
set -euo pipefail
shopt -s inherit_errexit

NAME=dpdk_segment
NS_CLI=vtps-dp-cli
NS_APP=vtps-dp-app
NS_SRV=vtps-dp-srv
CLIENT_IP=10.30.1.1
SERVER_IP=10.30.1.2
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
: "${VTPSD:=$REPO/build/appliance/vtpsd}"
: "${VTPSCTL:=$REPO/build/appliance/vtpsctl}"
TMP=""
PIDS=()

log() { printf '[%s] %s\n' "$NAME" "$*"; }
ok() { printf '[%s]   ok: %s\n' "$NAME" "$*"; }
fail() {
  printf '[%s]   FAIL: %s\n' "$NAME" "$*" >&2
  exit 1
}

cleanup() {
  local rc=$? pid ns
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for ns in "$NS_CLI" "$NS_APP" "$NS_SRV"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  if [ "$rc" != 0 ] && [ -n "$TMP" ]; then
    log "failed; vtpsd output:"
    cat "$TMP/vtpsd.out" 2>/dev/null || true
    cat "$TMP/log/system.log" 2>/dev/null || true
  fi
  [ -n "$TMP" ] && rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { log "SKIP: needs root"; exit 77; }
for tool in ethtool curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (ci/setup)"
done
[ -x "$VTPSD" ] || fail "vtpsd not built: $VTPSD"
[ -x "$VTPSCTL" ] || fail "vtpsctl not built: $VTPSCTL"
TMP=$(mktemp -d /tmp/vtps-dp-e2e.XXXXXX)

log "topology: $NS_CLI -- $NS_APP (L2 segment, no IP) -- $NS_SRV"
for ns in "$NS_CLI" "$NS_APP" "$NS_SRV"; do
  ip netns del "$ns" 2>/dev/null || true
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip link add vdp-c0 netns "$NS_CLI" type veth peer name vdp-a0 netns "$NS_APP"
ip link add vdp-s0 netns "$NS_SRV" type veth peer name vdp-a1 netns "$NS_APP"
ip -n "$NS_CLI" addr add "$CLIENT_IP/24" dev vdp-c0
ip -n "$NS_SRV" addr add "$SERVER_IP/24" dev vdp-s0
for pair in "$NS_CLI vdp-c0" "$NS_SRV vdp-s0" "$NS_APP vdp-a0" "$NS_APP vdp-a1"; do
  set -- $pair
  ip -n "$1" link set "$2" up
done
# Hosts on a wire send complete checksums; veth peers offload them, and frames relayed through
# an AF_PACKET socket would reach the far host with a partial checksum (DESIGN.md, Data path).
ip netns exec "$NS_CLI" ethtool -K vdp-c0 tx off >/dev/null
ip netns exec "$NS_SRV" ethtool -K vdp-s0 tx off >/dev/null

mkdir -p "$TMP/www" "$TMP/run" "$TMP/rules"
echo 'reject http any any -> any any (msg:"forbidden page"; http.uri; content:"/forbidden"; sid:8001;)' \
  >"$TMP/rules/segment.rules"
echo "hello across the segment" >"$TMP/www/index.html"
ip netns exec "$NS_SRV" python3 -m http.server 8080 --bind "$SERVER_IP" --directory "$TMP/www" \
  >"$TMP/http.out" 2>&1 &
PIDS+=($!)

cat >"$TMP/vtps.yaml" <<YAML
device:
  dataplane: dpdk
  mode: standard
  cores: {proxy: [0], dataplane: [1]}
  ssl-inspection: {server: false, client: false}
  management: {enabled: false}
  metrics: {listen: "127.0.0.1:9100"}
  keystore: $TMP/keystore
  control-socket: $TMP/run/vtpsd.sock
  log-dir: $TMP/log
filters:
  rules: $TMP/rules/*.rules
segments:
  - name: seg1
    ports: ["net_af_packet0,iface=vdp-a0", "net_af_packet1,iface=vdp-a1"]
    sources: [10.30.1.0/24]
YAML
ip netns exec "$NS_APP" "$VTPSD" --config "$TMP/vtps.yaml" --foreground >"$TMP/vtpsd.out" 2>&1 &
VTPSD_PID=$!
PIDS+=("$VTPSD_PID")
ctl() { "$VTPSCTL" --socket "$TMP/run/vtpsd.sock" "$@"; }
for _ in $(seq 100); do
  ctl status >/dev/null 2>&1 && break
  kill -0 "$VTPSD_PID" 2>/dev/null || fail "vtpsd exited during start"
  sleep 0.1
done
ctl status >/dev/null 2>&1 || fail "vtpsd did not answer within 10 s"
ok "vtpsd running with the dpdk dataplane (pid $VTPSD_PID)"
grep -q '"dpdk dataplane started (standard mode): EAL vtpsd --lcores 0@(' "$TMP/log/system.log" ||
  fail "system.log has no dataplane start line"
ok "system.log reports the EAL arguments"

[ -z "$(ip -n "$NS_APP" -4 addr show dev vdp-a0)" ] || fail "segment port vdp-a0 has an address"
ip netns exec "$NS_CLI" ping -c 3 -i 0.2 -W 2 "$SERVER_IP" >"$TMP/ping.out" ||
  fail "ping across the segment: $(cat "$TMP/ping.out")"
ok "ping $CLIENT_IP -> $SERVER_IP across the segment"
for _ in $(seq 50); do
  ip netns exec "$NS_SRV" bash -c "exec 3<>/dev/tcp/$SERVER_IP/8080" 2>/dev/null && break
  sleep 0.1
done
body=$(ip netns exec "$NS_CLI" curl -sS --max-time 10 "http://$SERVER_IP:8080/index.html")
[ "$body" = "hello across the segment" ] || fail "curl body: '$body'"
ok "curl http://$SERVER_IP:8080/ through the segment"

json=$(ctl show dataplane --json)
jq -e '.mode == "standard" and .polling == "adaptive-sleep" and (.ports | length) == 2' \
  <<<"$json" >/dev/null || fail "show dataplane: $json"
a_to_b=$(jq '.lcores[0].paths[0].rx_packets' <<<"$json")
b_to_a=$(jq '.lcores[0].paths[1].rx_packets' <<<"$json")
in_profile=$(jq '.lcores[0].paths[0].in_profile' <<<"$json")
flows=$(jq '.lcores[0].flows_created' <<<"$json")
# At least 3 echo requests (replies) + SYN, ACK and request (SYN-ACK, ACK, response) each way;
# ARP and IPv6 neighbour discovery add more, but are not in the IPv4 source map.
[ "$a_to_b" -ge 6 ] && [ "$b_to_a" -ge 6 ] || fail "path counters $a_to_b / $b_to_a: $json"
[ "$in_profile" -ge 6 ] || fail "in-profile packets $in_profile (sources 10.30.1.0/24): $json"
[ "$flows" -ge 2 ] || fail "flows created $flows (ICMP + TCP at least): $json"
[ "$(jq '.lcores[0].paths[0].tx_packets' <<<"$json")" = "$a_to_b" ] ||
  fail "client->server path dropped packets: $json"
ok "show dataplane: $a_to_b client->server, $b_to_a server->client, $flows flows"
text=$(ctl show dataplane)
grep -q '^Dataplane: dpdk, standard mode (adaptive-sleep polling, no hugepages)$' <<<"$text" ||
  fail "show dataplane text: $text"
grep -q 'net_af_packet0' <<<"$text" || fail "show dataplane lists no net_af_packet0: $text"
ok "show dataplane text output"
printf '%s\n' "$text"

ip netns exec "$NS_APP" curl -sS --max-time 5 http://127.0.0.1:9100/metrics >"$TMP/metrics.txt" ||
  fail "GET /metrics"
promtool check metrics <"$TMP/metrics.txt" || fail "promtool check metrics failed"
sample() { awk -v s="$1" '$1 == s {print $2}' "$TMP/metrics.txt"; }
for series in 'vtps_dataplane_port_packets_total{port="net_af_packet0",direction="rx"}' \
  'vtps_dataplane_port_packets_total{port="net_af_packet1",direction="tx"}' \
  'vtps_dataplane_queue_packets_total{port="net_af_packet0",queue="0",direction="rx"}'; do
  v=$(sample "$series")
  [ -n "$v" ] && awk -v v="$v" 'BEGIN {exit !(v > 0)}' || fail "$series is '$v' (expected > 0)"
done
grep -Eq '^vtps_dataplane_lcore_polls_total\{lcore="[0-9]+",result="busy"\} [1-9]' "$TMP/metrics.txt" ||
  fail "no busy polling rounds in vtps_dataplane_lcore_polls_total"
grep -q '^vtps_dataplane_port_drops_total{port="net_af_packet0",reason="rx_missed"} ' "$TMP/metrics.txt" ||
  fail "no rx_missed drop series for net_af_packet0"
ok "/metrics: dataplane port, queue and lcore series (promtool clean)"

# The filters on the segment: the reject rule drops the request and resets both ends; curl sees
# the reset at once (exit 56), not a timeout (28).
rc=0
start=$(date +%s)
ip netns exec "$NS_CLI" curl -sS --max-time 10 "http://$SERVER_IP:8080/forbidden" \
  >"$TMP/forbidden.out" 2>&1 || rc=$?
[ "$rc" = 56 ] || fail "curl /forbidden exited $rc (expected 56, reset): $(cat "$TMP/forbidden.out")"
[ $(($(date +%s) - start)) -lt 5 ] || fail "curl /forbidden took too long to see the reset"
grep -q 'Connection reset by peer' "$TMP/forbidden.out" || fail "curl: $(cat "$TMP/forbidden.out")"
for _ in $(seq 20); do grep -q '"sid":8001' "$TMP/log/block.log" 2>/dev/null && break; sleep 0.1; done
jq -s -e 'any(.[]; .sid == 8001 and .action == "reject" and .ssl_inspect == false and
       .proxy == "seg1" and .http_uri == "/forbidden")' "$TMP/log/block.log" >/dev/null ||
  fail "block.log: $(cat "$TMP/log/block.log" 2>/dev/null)"
insp=$(ctl show dataplane --json | jq '.lcores[0].inspection')
jq -e '.flows_blocked == 1 and .resets_sent == 2' <<<"$insp" >/dev/null ||
  fail "inspection counters after the block: $insp"
body=$(ip netns exec "$NS_CLI" curl -sS --max-time 10 "http://$SERVER_IP:8080/index.html")
[ "$body" = "hello across the segment" ] || fail "curl after the block: '$body'"
ok "reject rule: request dropped, curl reset at once, block.log sid 8001; the next fetch passes"

kill -TERM "$VTPSD_PID"
rc=0
wait "$VTPSD_PID" || rc=$?
[ "$rc" = 0 ] || fail "vtpsd exited $rc after SIGTERM"
ok "vtpsd stopped the dataplane and exited 0"
log "PASS"
