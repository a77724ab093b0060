#!/usr/bin/env bash
# The LVS-DR stand-in of the network-namespace lab, run inside a balancer's
# namespace: every PERIOD seconds it runs each real server's health check
# (the MISC_CHECK command of the generated keepalived.conf: `hadns check`)
# and, when the healthy set changes, replaces (atomically, one `nft -f`
# transaction) a netdev ingress table that forwards queries to the VIP on
# port 53 to the healthy servers by rewriting only the destination MAC
# (`fwd ip to … device`), as IPVS in DR mode does on the wire. UDP is
# spread per packet (keepalived's `ops`), TCP per flow.
#
#   nft-balancer.sh DEVICE VIP PERIOD STATE_FILE CHECKS_FILE
#
# CHECKS_FILE has one line per real server: its address, then the check
# command (no shell quoting: words split on spaces). The script runs until
# its parent kills it (the lab bounds its own run).
set -uo pipefail

device=$1 vip=$2 period=$3 state=$4 checks=$5
servers=()
commands=()
while read -r server command; do
  [ -n "$server" ] || continue
  servers+=("$server")
  commands+=("$command")
done <"$checks"

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
  for i in "${!servers[@]}"; do
    read -r -a command <<<"${commands[$i]}"
    if "${command[@]}" >/dev/null 2>&1; then
      healthy+=("${servers[$i]}")
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
