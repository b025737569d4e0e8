#!/usr/bin/env bash
# e2e (issue 8): a pcap replayed through a dpdk segment of net_pcap ports, with the filters of
# the segment's profile on its cleartext TCP flows. make_replay_pcap.py writes six flows (see
# there; two of them in GRE and in IP-in-IP, matched by their inner flow and not reset); port 0 reads them (rx_pcap) and the segment sends them out of port 1 (tx_pcap), the
# resets toward the clients out of port 0. Asserts the block.log and alert.log lines, that a
# blocked flow's packets from the blocking one on are absent from the output (and its reset
# present), that the other flows pass whole, and the counters of `vtpsctl show dataplane`.
# Then the layer-2 fallback: a 28 MB download replayed with device.dataplane-fallback
# fail-closed and an inspection budget of 1% puts the lcore in fallback; system.log reports
# entering and leaving it, the metrics and show dataplane count it, the output lacks the
# packets dropped meanwhile.
#
# vtpsd runs in its own namespace (vtps-dq-replay) so that its metrics port clashes with no
# other test. Needs root, python3, vtpsd/vtpsctl (VTPSD, VTPSCTL), jq. Everything it creates
# is removed on exit.
set -euo pipefail
shopt -s inherit_errexit

NAME=dpdk_pcap_replay
NS=vtps-dq-replay
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
: "${VTPSD:=$REPO/build/appliance/vtpsd}"
: "${VTPSCTL:=$REPO/build/appliance/vtpsctl}"
TMP=""
VTPSD_PID=""

log() { printf '[%s] %s\n' "$NAME" "$*"; }
ok() { printf '[%s]   ok: %s\n' "$NAME" "$*"; }
fail() {
  printf '[%s]   FAIL: %s\n' "$NAME" "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  if [ -n "$VTPSD_PID" ]; then
    kill -TERM "$VTPSD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$VTPSD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$VTPSD_PID" 2>/dev/null || true
    wait "$VTPSD_PID" 2>/dev/null || true
  fi
  ip netns del "$NS" 2>/dev/null || true
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
for tool in python3 jq; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (ci/setup)"
done
[ -x "$VTPSD" ] || fail "vtpsd not built: $VTPSD"
[ -x "$VTPSCTL" ] || fail "vtpsctl not built: $VTPSCTL"
TMP=$(mktemp -d /tmp/vtps-dq-replay.XXXXXX)
mkdir -p "$TMP/run" "$TMP/rules"
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up

python3 "$HERE/make_replay_pcap.py" "$TMP/in.pcap" "$TMP/empty.pcap" "$TMP/manifest.json"
total=$(jq length "$TMP/manifest.json")
ok "replay pcap written: $total packets in 6 flows (one in GRE, one in IP-in-IP)"

cat >"$TMP/rules/replay.rules" <<'RULES'
reject http any any -> any any (msg:"replay attack uri"; http.uri; content:"/attack"; sid:9001; rev:1;)
alert http any any -> any any (msg:"replay probe uri"; http.uri; content:"/probe"; sid:9002; rev:1;)
drop tcp any any -> any any (msg:"replay secret in a stream"; content:"TOPSECRET"; sid:9003; rev:1;)
RULES

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
  - name: replay
    ports: ["net_pcap0,rx_pcap=$TMP/in.pcap,tx_pcap=$TMP/out0.pcap",
            "net_pcap1,rx_pcap=$TMP/empty.pcap,tx_pcap=$TMP/out1.pcap"]
    sources: [10.40.1.0/24]
YAML
ctl() { "$VTPSCTL" --socket "$TMP/run/vtpsd.sock" "$@"; }
start_vtpsd() {
  ip netns exec "$NS" "$VTPSD" --config "$TMP/vtps.yaml" --foreground >"$TMP/vtpsd.out" 2>&1 &
  VTPSD_PID=$!
  for _ in $(seq 100); do
    ctl status >/dev/null 2>&1 && break
    kill -0 "$VTPSD_PID" 2>/dev/null || fail "vtpsd exited during start"
    sleep 0.1
  done
  ctl status >/dev/null 2>&1 || fail "vtpsd did not answer within 10 s"
}
stop_vtpsd() {
  local rc=0
  kill -TERM "$VTPSD_PID"
  wait "$VTPSD_PID" || rc=$?
  VTPSD_PID=""
  [ "$rc" = 0 ] || fail "vtpsd exited $rc after SIGTERM"
}
start_vtpsd
ok "vtpsd running with a net_pcap segment (pid $VTPSD_PID)"

# net_pcap reads the whole file at once; wait until every packet went through the lcore.
json=""
for _ in $(seq 100); do
  json=$(ctl show dataplane --json)
  [ "$(jq '.lcores[0].paths[0].rx_packets' <<<"$json")" = "$total" ] && break
  sleep 0.1
done
[ "$(jq '.lcores[0].paths[0].rx_packets' <<<"$json")" = "$total" ] ||
  fail "the segment received $(jq '.lcores[0].paths[0].rx_packets' <<<"$json") of $total packets: $json"
jq -e '.filters == true and .fallback_mode == "fail-open"' <<<"$json" >/dev/null ||
  fail "show dataplane does not report the filters: $json"
insp=$(jq '.lcores[0].inspection' <<<"$json")
# Flows A, E and F: the request and the two packets after it; flow D: the gap filler and the ack
# after it. Only A is reset: E and F are tunnelled.
jq -e '.flows_inspected == 6 and .flows_blocked == 4 and .blocked_drops == 11 and
       .resets_sent == 2 and .out_of_order == 1 and .fallback == false' <<<"$insp" >/dev/null ||
  fail "inspection counters: $insp"
ok "show dataplane: 6 flows inspected, 4 blocked, 11 packets dropped, 2 resets, 1 out of order"
text=$(ctl show dataplane)
grep -q 'Filters: inspecting; flows inspected 6, skipped 0, decided at open 0, blocked 4' <<<"$text" ||
  fail "show dataplane text: $text"

# The output pcaps are complete once the ports are closed: stop vtpsd.
stop_vtpsd

# block.log: A's reject (reset) and D's stream drop; alert.log: B's probe. No SSL inspection.
jq -e -s 'map(select(.sid == 9001 and .client == "10.40.1.1:41000")) | length == 1 and
          .[0].action == "reject" and .[0].ssl_inspect == false and .[0].proxy == "replay" and
          .[0].server == "10.40.2.2:80" and
          .[0].http_uri == "/attack"' \
  "$TMP/log/block.log" >/dev/null || fail "block.log has no sid 9001 line: $(cat "$TMP/log/block.log")"
jq -e -s 'map(select(.sid == 9003)) | length == 1 and .[0].action == "drop" and
          .[0].client == "10.40.1.2:41003" and .[0].direction == "server-to-client"' \
  "$TMP/log/block.log" >/dev/null || fail "block.log has no sid 9003 line: $(cat "$TMP/log/block.log")"
jq -e -s 'length == 1 and .[0].sid == 9002 and .[0].action == "permit+notify" and
          .[0].ssl_inspect == false and .[0].client == "10.40.1.1:41001"' \
  "$TMP/log/alert.log" >/dev/null || fail "alert.log: $(cat "$TMP/log/alert.log" 2>/dev/null)"
# The tunnelled flows E (GRE) and F (IP-in-IP): the inner addresses, not the tunnel's.
for client in 10.40.1.4:41004 10.40.1.5:41005; do
  jq -e -s --arg c "$client" 'map(select(.sid == 9001 and .client == $c)) | length == 1 and
            .[0].action == "reject" and .[0].server == "10.40.2.2:80" and
            .[0].http_uri == "/attack"' "$TMP/log/block.log" >/dev/null ||
    fail "block.log has no sid 9001 line for $client (tunnelled): $(cat "$TMP/log/block.log")"
done
[ "$(wc -l <"$TMP/log/block.log")" = 4 ] || fail "block.log: $(cat "$TMP/log/block.log")"
ok "block.log: sid 9001 (reject) and 9003 (drop), 9001 inside GRE and IP-in-IP; alert.log: sid 9002; ssl_inspect false"

python3 - "$TMP/manifest.json" "$TMP/out0.pcap" "$TMP/out1.pcap" <<'PY'
import json, struct, sys

def frames(path):
    data = open(path, "rb").read()
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out

def tcp(f):
    ip = f[14:]
    ihl = (ip[0] & 15) * 4
    t = ip[ihl:]
    src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
    sport, dport, seq = struct.unpack("!HHI", t[:8])
    return src, sport, dst, dport, seq, t[13]

manifest = json.load(open(sys.argv[1]))
out0, out1 = frames(sys.argv[2]), frames(sys.argv[3])
sent = set(bytes(f) for f in out1)
absent = {("A", "request"), ("A", "response"), ("A", "ack-after"),
          ("D", "gap-filler"), ("D", "ack-after"),
          ("E", "request"), ("E", "response"), ("E", "ack-after"),
          ("F", "request"), ("F", "response"), ("F", "ack-after")}
errors = []
for p in manifest:
    present = bytes.fromhex(p["hex"]) in sent
    if present == ((p["flow"], p["tag"]) in absent):
        errors.append("%s %s is %s the output" % (p["flow"], p["tag"],
                                                    "in" if present else "missing from"))
passed = len(manifest) - len(absent)
extra = [f for f in out1 if bytes(f) not in set(bytes.fromhex(p["hex"]) for p in manifest)]
# The only frame of out1 not from the input: flow A's reset toward the server, at the dropped
# request's sequence number; out0 holds only the reset toward the client, at its acknowledged one
# (none for the tunnelled flows E and F).
if len(extra) != 1 or tcp(extra[0])[:4] != ("10.40.1.1", 41000, "10.40.2.2", 80) \
        or not tcp(extra[0])[5] & 0x04 or tcp(extra[0])[4] != 1001:
    errors.append("out1: expected one reset 10.40.1.1:41000 > 10.40.2.2:80 seq 1001, got %r"
                  % [tcp(f) for f in extra])
if len(out0) != 1 or tcp(out0[0])[:4] != ("10.40.2.2", 80, "10.40.1.1", 41000) \
        or not tcp(out0[0])[5] & 0x04 or tcp(out0[0])[4] != 50001:
    errors.append("out0: expected one reset 10.40.2.2:80 > 10.40.1.1:41000 seq 50001, got %r"
                  % [tcp(f) for f in out0])
if len(out1) != passed + 1:
    errors.append("out1 has %d frames, expected %d passed + 1 reset" % (len(out1), passed))
if errors:
    sys.exit("\n".join(errors))
print("[dpdk_pcap_replay]   ok: output pcaps: %d of %d packets passed unchanged, blocked "
      "packets absent, one reset each way" % (passed, len(manifest)))
PY

log "layer-2 fallback: fail-closed, 1% inspection budget, a 28 MB download"
python3 "$HERE/make_replay_pcap.py" --bulk 20000 "$TMP/bulk.pcap"
bulk_total=20005  # handshake (3), request, response header, 20000 data segments
rm -rf "$TMP/log" "$TMP/out0.pcap" "$TMP/out1.pcap"
sed -i -e 's|  mode: standard|  mode: standard\n  dataplane-fallback: fail-closed\n  dataplane-inspection-budget: 1|' \
  -e "s|rx_pcap=$TMP/in.pcap|rx_pcap=$TMP/bulk.pcap|" "$TMP/vtps.yaml"
start_vtpsd
for _ in $(seq 100); do
  json=$(ctl show dataplane --json)
  [ "$(jq '.lcores[0].paths[0].rx_packets' <<<"$json")" = "$bulk_total" ] && break
  sleep 0.1
done
[ "$(jq '.lcores[0].paths[0].rx_packets' <<<"$json")" = "$bulk_total" ] ||
  fail "the segment received $(jq '.lcores[0].paths[0].rx_packets' <<<"$json") of $bulk_total packets"
insp=$(jq '.lcores[0].inspection' <<<"$json")
jq -e '.fallback_entries >= 1 and .fallback_drops > 0' <<<"$insp" >/dev/null ||
  fail "no fallback counted: $insp"
dropped=$(jq '.fallback_drops' <<<"$insp")
ok "fallback entered: $dropped packets dropped (fail-closed)"
grep -q '"dpdk lcore [0-9]* entered layer-2 fallback: the filters used [0-9]*% of the lcore.s cycles, over the budget of 1%; fail-closed: dropping the segment.s traffic"' \
  "$TMP/log/system.log" || fail "system.log has no fallback entry line"
grep '"dataplane-fallback"' "$TMP/log/system.log" | grep -q '"warning"' ||
  fail "the fallback entry is not a warning"
left=""
for _ in $(seq 50); do
  left=$(grep 'left layer-2 fallback: inspection resumed after' "$TMP/log/system.log" || true)
  [ -n "$left" ] && break
  sleep 0.1
done
[ -n "$left" ] || fail "system.log has no line for leaving the fallback"
ok "system.log: entered and left the fallback ($(grep -o 'resumed after [0-9.]* s; [0-9]* packets dropped' <<<"$left" | head -1))"
ip netns exec "$NS" curl -sS --max-time 5 http://127.0.0.1:9100/metrics >"$TMP/metrics.txt" ||
  fail "GET /metrics"
grep -Eq '^vtps_dataplane_fallback_entries_total\{lcore="[0-9]+"\} [1-9]' "$TMP/metrics.txt" ||
  fail "vtps_dataplane_fallback_entries_total is not counted"
grep -Eq '^vtps_dataplane_fallback\{lcore="[0-9]+"\} 0$' "$TMP/metrics.txt" ||
  fail "vtps_dataplane_fallback is not back to 0"
grep -Eq "^vtps_dataplane_filter_drops_total\\{lcore=\"[0-9]+\",reason=\"fallback\"\\} $dropped\$" "$TMP/metrics.txt" ||
  fail "vtps_dataplane_filter_drops_total{reason=fallback} is not $dropped"
if command -v promtool >/dev/null; then
  promtool check metrics <"$TMP/metrics.txt" || fail "promtool check metrics failed"
fi
ok "/metrics: fallback entries, fallback state 0, $dropped fallback drops"
stop_vtpsd
out=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); n=0; o=24
while o + 16 <= len(d):
    n += 1; o += 16 + int.from_bytes(d[o + 8:o + 12], "little")
print(n)' "$TMP/out1.pcap")
[ "$out" = $((bulk_total - dropped)) ] || fail "out1 has $out frames, expected $bulk_total - $dropped"
ok "output pcap: $out of $bulk_total packets, the fallback's drops absent"
log "PASS"
