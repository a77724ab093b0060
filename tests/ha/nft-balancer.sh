#!/usr/bin/env bash
# The LVS-DR stand-in of the network-namespace lab, run inside a balancer's
# namespace: every PERIOD seconds it runs `hadns check` against each real
# server and, when the healthy set changes, replaces (atomically, one
# `nft -f` transaction) a netdev ingress table that forwards queries to the
# VIP on port 53 to the healthy servers by rewriting only the destination
# MAC (`fwd ip to … device`), as IPVS in DR mode does on the wire. UDP is
# spread per packet (keepalived's `ops`), TCP per flow.
#
#   nft-balancer.sh DEVICE VIP PERIOD STATE_FILE -- SERVER... -- CHECK_ARGS...
#
# CHECK_ARGS are passed to `hadns check` after `--server SERVER`; the
# script runs until its parent kills it (bounded by the lab's own timeout).
set -uo pipefail

device=$1 vip=$2 period=$3 state=$4
shift 4
[ "$1" = "--" ] && shift
servers=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do servers+=("$1"); shift; done
[ $# -gt 0 ] && shift
check_args=("$@")
hadns=${HADNS:?HADNS must name the hadns binary}

apply() {
  local members=("$@") n=${#members[@]} rules="" map="" i
  if [ "$n" -eq 1 ]; then
    rules="meta pkttype host ip daddr $vip udp dport 53 fwd ip to ${members[0]} device \"$device\"
    meta pkttype host ip daddr $vip tcp dport 53 fwd ip to ${members[0]} device \"$device\""
  elif [ "$n" -gt 1 ]; then
    for i in "${!members[@]}"; do
      map+="${map:+, }$i : ${members[$i]}"
    done
    rules="meta pkttype host ip daddr $vip udp dport 53 fwd ip to numgen inc mod $n map { $map } device \"$device\"
    meta pkttype host ip daddr $vip tcp dport 53 fwd ip to jhash ip saddr . tcp sport mod $n map { $map } device \"$device\""
  fi
  nft -f - <<EOF
add table netdev hadnslb
delete table netdev hadnslb
table netdev hadnslb {
  chain ingress {
    type filter hook ingress device "$device" priority 0; policy accept;
    $rules
  }
}
EOF
}

current="unset"
while true; do
  healthy=()
  for server in "${servers[@]}"; do
    if "$hadns" check --server "$server" "${check_args[@]}" >/dev/null 2>&1; then
      healthy+=("$server")
    fi
  done
  now="${healthy[*]:-none}"
  if [ "$now" != "$current" ]; then
    if apply "${healthy[@]}"; then
      echo "$(date +%s.%N) members: $now" >>"$state"
      current=$now
    fi
  fi
  sleep "$period"
done
