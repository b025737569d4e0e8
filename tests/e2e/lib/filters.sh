# shellcheck shell=bash
# Filter cases (issue 5), sourced after topology.sh: the test config with a filters: section,
# and readers of the block and alert logs.
#
#   filters_topology                            the topology and the origin PKI (E2E_TMP exists
#                                               after it: write rule and list files there)
#   filters_start FILTERS_YAML [PROFILE_YAML]   the test config with FILTERS_YAML appended as the
#                                               top-level filters: section and PROFILE_YAML as
#                                               more keys of profile "default"; nginx; vtpsd
#   block_log_json / alert_log_json             the log as one JSON array
#   filter_log_wait LOG N                       waits until LOG (block|alert) has N entries

filters_topology() {
  topo_up
  pki_origin
}

filters_start() {
  local filters=$1 profile=${2:-}
  E2E_CONFIG=$E2E_TMP/vtps.yaml
  vtps_config_write "$E2E_CONFIG"
  # vtps_config_text ends inside profile "default": its keys are indented by four spaces.
  [ -z "$profile" ] || printf '%s\n' "$profile" >>"$E2E_CONFIG"
  printf '%s\n' "$filters" >>"$E2E_CONFIG"
  pki_vtps
  origin_start
  vtps_start "$E2E_CONFIG"
}

filter_log_count() { jq -s 'length' "$E2E_LOG_DIR/$1.log" 2>/dev/null || echo 0; }
block_log_json() { jq -s . "$E2E_LOG_DIR/block.log"; }
alert_log_json() { jq -s . "$E2E_LOG_DIR/alert.log"; }

filter_log_wait() {
  local log=$1 want=$2 i
  for ((i = 0; i < 100; i++)); do
    [ "$(filter_log_count "$log")" -ge "$want" ] && return 0
    sleep 0.1
  done
  e2e_fail "$log.log has $(filter_log_count "$log") entries, expected at least $want"
}

# filter_log_field LOG SELECT FIELD: FIELD of the last LOG entry matching the jq condition SELECT.
filter_log_field() { jq -rs "map(select($2)) | last | .$3" "$E2E_LOG_DIR/$1.log"; }

# origin_saw PATH: whether nginx logged a request for PATH.
origin_saw() { origin_access_log | grep -F -- " $1 HTTP/1.1\"" >/dev/null; }
