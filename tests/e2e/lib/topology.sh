# shellcheck shell=bash
# The e2e test topology, sourced by every tests/e2e/*.sh script and by ci/demo.
#
#   vtps-cli 10.10.1.10 --veth-- 10.10.1.1 vtps-app 10.10.2.1 --veth-- 10.10.2.2, 10.10.2.3 vtps-srv
#
# The appliance namespace is the routed hop (ip_forward on) with the kernel dataplane (default).
# E2E_DATAPLANE=dpdk selects the inline mode instead: vtpsd's dpdk dataplane bridges the two
# veths of vtps-app (va0, va1: net_af_packet ports with no IP address, segment seg1) and
# vtps-srv is the router on the far side of that L2 segment:
#
#   vtps-cli 10.10.1.10 [vc0]--[va0] vtps-app [va1]--[vs0] 10.10.1.1 vtps-srv (router)
#                                                          10.10.2.2, 10.10.2.3 on veth vo0
#
# The client's frames to 10.10.2.x cross the segment addressed to the router's MAC, so the
# addresses the cases use are the same in both modes; the config writers (vtps_config_text,
# client_config_text) emit the dpdk device keys and the segment. Everything a script starts goes
# through e2e_spawn, so the EXIT trap stops exactly those PIDs and deletes the namespaces, whether
# the script passed or failed. One run at a time (flock): the namespace names are fixed.
#
# Inputs (environment): VTPSD, VTPSCTL — the binaries under test (default: BUILD/appliance/...);
# E2E_BUILD_DIR — build directory used for those defaults (default: REPO/build);
# E2E_KEEP=1 keeps the temp directory of a passing run too; E2E_NS_PREFIX prefixes the namespaces;
# E2E_DATAPLANE=kernel|dpdk (default kernel) picks the mode above.

shopt -s inherit_errexit

# E2E_NS_PREFIX (default "vtps-") names the namespaces, so that runs by hand can keep apart.
E2E_NS_CLI=${E2E_NS_PREFIX:-vtps-}cli
E2E_NS_APP=${E2E_NS_PREFIX:-vtps-}app
E2E_NS_SRV=${E2E_NS_PREFIX:-vtps-}srv
E2E_CLIENT_IP=10.10.1.10
E2E_APP_CLI_IP=10.10.1.1
E2E_APP_SRV_IP=10.10.2.1
E2E_SERVER_IP=10.10.2.2
E2E_SERVER2_IP=10.10.2.3
E2E_DATAPLANE=${E2E_DATAPLANE:-kernel}
# Inline mode only: with a VLAN id, the hosts' frames cross the segment tagged with it (and
# priority 5), through an access-port relay in namespace vtps-tag (lib/vlan_relay.py: this test
# kernel has no VLAN interfaces).
E2E_INLINE_VLAN=${E2E_INLINE_VLAN:-}
E2E_NS_TAG=${E2E_NS_PREFIX:-vtps-}tag

E2E_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
: "${E2E_BUILD_DIR:=$E2E_REPO/build}"
: "${VTPSD:=$E2E_BUILD_DIR/appliance/vtpsd}"
: "${VTPSCTL:=$E2E_BUILD_DIR/appliance/vtpsctl}"
E2E_NAME=${E2E_NAME:-$(basename "${0%.sh}")}
E2E_TMP=""
E2E_PIDS=()
E2E_STATUS=1

e2e_log() { printf '[%s] %s\n' "$E2E_NAME" "$*"; }
e2e_check() { printf '[%s] CHECK %s\n' "$E2E_NAME" "$*"; }
e2e_ok() { printf '[%s]   ok: %s\n' "$E2E_NAME" "$*"; }
e2e_fail() {
  printf '[%s]   FAIL: %s\n' "$E2E_NAME" "$*" >&2
  exit 1
}
# e2e_expect_eq WHAT ACTUAL EXPECTED
e2e_expect_eq() {
  if [ "$2" = "$3" ]; then
    e2e_ok "$1 = $3"
  else
    e2e_fail "$1: expected '$3', got '$2'"
  fi
}

in_cli() { ip netns exec "$E2E_NS_CLI" "$@"; }
in_app() { ip netns exec "$E2E_NS_APP" "$@"; }
in_srv() { ip netns exec "$E2E_NS_SRV" "$@"; }

# e2e_spawn VAR NS LOGFILE CMD...: starts CMD in namespace NS in the background, output to
# LOGFILE, and stores its PID in VAR. `ip netns exec` execs CMD, so the PID is CMD's own.
e2e_spawn() {
  local var=$1 ns=$2 logfile=$3
  shift 3
  ip netns exec "$ns" "$@" >"$logfile" 2>&1 &
  local pid=$!
  E2E_PIDS+=("$pid")
  printf -v "$var" '%s' "$pid"
}

# e2e_stop PID [SECONDS]: SIGTERM, wait up to SECONDS (default 10), then SIGKILL. Returns the
# process's exit status (or 137 when it had to be killed).
e2e_stop() {
  local pid=$1 limit=${2:-10} i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < limit * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    return 137
  fi
  local rc=0
  wait "$pid" 2>/dev/null || rc=$?
  return "$rc"
}

e2e_delete_namespaces() {
  local ns
  for ns in "$E2E_NS_CLI" "$E2E_NS_APP" "$E2E_NS_SRV" "$E2E_NS_TAG"; do
    ip netns del "$ns" 2>/dev/null || true
  done
}

e2e_cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  # A script that ends without e2e_pass (an unchecked command failed) did not pass.
  if [ "$E2E_STATUS" != 0 ] && [ "$rc" = 0 ]; then rc=1; fi
  # An inline failure may be the dataplane's: keep its counters beside the kept logs.
  if [ "$rc" != 0 ] && [ "$E2E_DATAPLANE" = dpdk ] && [ -n "${E2E_VTPSD_PID:-}" ]; then
    vtpsctl show dataplane --json >"$E2E_TMP/dataplane.json" 2>&1 || true
  fi
  for pid in "${E2E_PIDS[@]}"; do
    # A peer that dies of the SIGTERM (openssl s_server) returns 143: not the script's status.
    kill -0 "$pid" 2>/dev/null && { e2e_stop "$pid" 5 >/dev/null 2>&1 || true; }
  done
  e2e_delete_namespaces
  if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
    if [ "$rc" = 0 ] && [ "${E2E_KEEP:-0}" != 1 ]; then
      rm -rf "$E2E_TMP"
    else
      e2e_log "files kept in $E2E_TMP"
    fi
  fi
  if [ "$rc" = 0 ]; then e2e_log "PASS"; else e2e_log "FAILED (exit $rc)"; fi
  exit "$rc"
}

# e2e_pass: marks the script successful; call it last.
e2e_pass() { E2E_STATUS=0; }

# topo_up: takes the run lock, creates the temp dir and the three namespaces, installs the trap.
topo_up() {
  [ "$(id -u)" = 0 ] || { echo "$E2E_NAME: needs root (network namespaces)" >&2; exit 1; }
  exec 9>/run/vtps-e2e.lock
  flock -w 900 9 || { echo "$E2E_NAME: another e2e run holds /run/vtps-e2e.lock" >&2; exit 1; }
  trap e2e_cleanup EXIT
  trap 'exit 130' INT TERM
  E2E_TMP=$(mktemp -d /tmp/vtps-e2e.XXXXXX)
  chmod 0755 "$E2E_TMP"
  # Left over by a run that was killed with SIGKILL: we hold the lock, so nothing uses them.
  e2e_delete_namespaces

  local ns
  for ns in "$E2E_NS_CLI" "$E2E_NS_APP" "$E2E_NS_SRV"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
  done
  ip link add vc0 netns "$E2E_NS_CLI" type veth peer name va0 netns "$E2E_NS_APP"
  ip link add vs0 netns "$E2E_NS_SRV" type veth peer name va1 netns "$E2E_NS_APP"
  case "$E2E_DATAPLANE" in
    kernel) topo_routed ;;
    dpdk) topo_inline ;;
    *) e2e_fail "E2E_DATAPLANE=$E2E_DATAPLANE: expected kernel or dpdk" ;;
  esac
  # Small socket buffers on the client and the appliance keep a rate-limited download's session
  # live on the appliance until the client has read nearly all of it (cases that act on a live
  # session rely on this); the defaults would let ~10 MiB sit in buffers.
  in_cli sysctl -qw net.ipv4.tcp_rmem="4096 131072 262144"
  in_app sysctl -qw net.ipv4.tcp_wmem="4096 16384 262144"
}

# topo_routed: the kernel dataplane's topology, the appliance the routed hop.
topo_routed() {
  ip -n "$E2E_NS_CLI" addr add "$E2E_CLIENT_IP/24" dev vc0
  ip -n "$E2E_NS_APP" addr add "$E2E_APP_CLI_IP/24" dev va0
  ip -n "$E2E_NS_APP" addr add "$E2E_APP_SRV_IP/24" dev va1
  ip -n "$E2E_NS_SRV" addr add "$E2E_SERVER_IP/24" dev vs0
  ip -n "$E2E_NS_SRV" addr add "$E2E_SERVER2_IP/24" dev vs0
  ip -n "$E2E_NS_CLI" link set vc0 up
  ip -n "$E2E_NS_APP" link set va0 up
  ip -n "$E2E_NS_APP" link set va1 up
  ip -n "$E2E_NS_SRV" link set vs0 up
  # The appliance is the routed hop between the two networks.
  ip -n "$E2E_NS_CLI" route add default via "$E2E_APP_CLI_IP"
  ip -n "$E2E_NS_SRV" route add default via "$E2E_APP_SRV_IP"
  in_app sysctl -qw net.ipv4.ip_forward=1
  e2e_log "topology up: $E2E_NS_CLI ($E2E_CLIENT_IP) -> $E2E_NS_APP -> $E2E_NS_SRV" \
    "($E2E_SERVER_IP, $E2E_SERVER2_IP); files in $E2E_TMP"
}

# topo_inline: the dpdk dataplane's topology. va0 and va1 stay without an address (vtpsd opens
# them as net_af_packet ports); vtps-srv routes between the client's subnet on its segment veth
# and the origins' addresses on a veth pair of its own, vo0-vo1 (local addresses: no forwarding
# needed; a veth, not a dummy interface, because the dummy module is not in every kernel).
topo_inline() {
  local ns_if
  [ -z "$E2E_INLINE_VLAN" ] || topo_vlan_access
  # IPv6 off on the segment: no router solicitations or DAD in the counters and captures.
  for ns_if in "$E2E_NS_CLI vc0" "$E2E_NS_APP va0" "$E2E_NS_APP va1" "$E2E_NS_SRV vs0"; do
    # shellcheck disable=SC2086  # "NS IF" split on purpose
    set -- $ns_if
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
  done
  ip -n "$E2E_NS_SRV" link add vo0 type veth peer name vo1
  ip -n "$E2E_NS_CLI" addr add "$E2E_CLIENT_IP/24" dev vc0
  ip -n "$E2E_NS_SRV" addr add "$E2E_APP_CLI_IP/24" dev vs0
  ip -n "$E2E_NS_SRV" addr add "$E2E_SERVER_IP/24" dev vo0
  ip -n "$E2E_NS_SRV" addr add "$E2E_SERVER2_IP/24" dev vo0
  ip -n "$E2E_NS_CLI" link set vc0 up
  ip -n "$E2E_NS_APP" link set va0 up
  ip -n "$E2E_NS_APP" link set va1 up
  ip -n "$E2E_NS_SRV" link set vs0 up
  ip -n "$E2E_NS_SRV" link set vo0 up
  ip -n "$E2E_NS_SRV" link set vo1 up
  ip -n "$E2E_NS_CLI" route add default via "$E2E_APP_CLI_IP"
  # Hosts on a wire send complete checksums; veth peers offload them, and frames relayed through
  # an AF_PACKET socket would reach the far host with a partial checksum (DESIGN.md, Data path).
  in_cli ethtool -K vc0 tx off >/dev/null
  in_srv ethtool -K vs0 tx off >/dev/null
  e2e_log "topology up (inline): $E2E_NS_CLI ($E2E_CLIENT_IP) -> $E2E_NS_APP (segment va0-va1," \
    "no IP) -> $E2E_NS_SRV (router $E2E_APP_CLI_IP; $E2E_SERVER_IP, $E2E_SERVER2_IP);" \
    "files in $E2E_TMP"
}

# topo_vlan_access: the inline topology's hosts behind 802.1Q access ports. The client's and the
# router's veths lead into vtps-tag, where a relay each tags their frames with E2E_INLINE_VLAN
# towards the segment port and untags what comes back:
#   vc0 --vt0 [relay] vt1-- va0 (segment) va1 --vt2 [relay] vt3-- vs0
# A smaller MTU on the hosts leaves room for the tag on the segment's veths.
topo_vlan_access() {
  local pid ns_if
  ip -n "$E2E_NS_APP" link del va0
  ip -n "$E2E_NS_APP" link del va1
  ip netns add "$E2E_NS_TAG"
  ip -n "$E2E_NS_TAG" link set lo up
  ip link add vc0 netns "$E2E_NS_CLI" type veth peer name vt0 netns "$E2E_NS_TAG"
  ip link add vt1 netns "$E2E_NS_TAG" type veth peer name va0 netns "$E2E_NS_APP"
  ip link add vs0 netns "$E2E_NS_SRV" type veth peer name vt3 netns "$E2E_NS_TAG"
  ip link add vt2 netns "$E2E_NS_TAG" type veth peer name va1 netns "$E2E_NS_APP"
  ip -n "$E2E_NS_CLI" link set vc0 mtu 1400
  ip -n "$E2E_NS_SRV" link set vs0 mtu 1400
  for ns_if in vt0 vt1 vt2 vt3; do
    ip netns exec "$E2E_NS_TAG" sysctl -qw "net.ipv6.conf.$ns_if.disable_ipv6=1"
    ip -n "$E2E_NS_TAG" link set "$ns_if" up
  done
  e2e_spawn pid "$E2E_NS_TAG" "$E2E_TMP/vlan-relay-cli.log" \
    python3 "$(dirname "${BASH_SOURCE[0]}")/vlan_relay.py" vt0 vt1 "$E2E_INLINE_VLAN" 5
  e2e_spawn pid "$E2E_NS_TAG" "$E2E_TMP/vlan-relay-srv.log" \
    python3 "$(dirname "${BASH_SOURCE[0]}")/vlan_relay.py" vt3 vt2 "$E2E_INLINE_VLAN" 5
  e2e_log "the hosts' frames cross the segment tagged with VLAN $E2E_INLINE_VLAN (relays in $E2E_NS_TAG)"
}

# e2e_wait_for WHAT SECONDS CMD...: polls CMD every 0.1 s until it succeeds.
e2e_wait_for() {
  local what=$1 limit=$2 i
  shift 2
  for ((i = 0; i < limit * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  e2e_fail "timed out after ${limit}s waiting for $what"
}

e2e_sha256() { sha256sum "$1" | cut -d' ' -f1; }

# shellcheck source=tests/e2e/lib/pki.sh
source "$(dirname "${BASH_SOURCE[0]}")/pki.sh"
# shellcheck source=tests/e2e/lib/origin.sh
source "$(dirname "${BASH_SOURCE[0]}")/origin.sh"
# shellcheck source=tests/e2e/lib/appliance.sh
source "$(dirname "${BASH_SOURCE[0]}")/appliance.sh"

# e2e_setup [CONFIG_SETTINGS...]: everything most cases need — the topology, both PKIs, nginx,
# the config ($E2E_TMP/vtps.yaml, settings as vtps_config_text takes them) and vtpsd.
e2e_setup() {
  topo_up
  pki_origin
  E2E_CONFIG=$E2E_TMP/vtps.yaml
  vtps_config_write "$E2E_CONFIG" "$@"
  pki_vtps
  origin_start
  vtps_start "$E2E_CONFIG"
}
