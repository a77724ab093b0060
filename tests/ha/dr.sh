#!/usr/bin/env bash
# DR-ready serving: a real server behind LVS in DR mode receives queries
# addressed to the VIP, which it holds on `lo`, and must answer *from the
# VIP* (clients drop a reply from any other address). This checks hadns
# does, in two namespaces (client, rs) on one veth pair, for UDP and TCP,
# IPv4 and IPv6, on wildcard sockets (0.0.0.0:53 and [::]:53, where the
# reply's source comes from IP_PKTINFO / IPV6_RECVPKTINFO) and on sockets
# bound to the VIP itself. The client routes the VIP to the real server's
# address, as the balancer's MAC rewrite would.
#
# Run as root: tests/ha/dr.sh [path/to/hadns]. Addresses: 10.213.1.0/24
# and fd00:213:1::/64, inside namespaces it creates and deletes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
HADNS=$(realpath "${1:-${HADNS:-$here/../../target/debug/hadns}}")
[ -x "$HADNS" ] || { echo "dr: no hadns binary at $HADNS" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "dr: must run as root (network namespaces)" >&2; exit 2; }
command -v dig >/dev/null || { echo "dr: dig is missing (scripts/test installs it)" >&2; exit 2; }

P=hd$$
WORK=$(mktemp -d /tmp/hadns-dr.XXXXXX)
PID=""
FAILED=0
VIP4=10.213.1.100
VIP6=fd00:213:1::100

cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null || true
  ip netns del "$P-client" 2>/dev/null || true
  ip netns del "$P-rs" 2>/dev/null || true
  if [ "$FAILED" -ne 0 ]; then tail -n 20 "$WORK"/*.log; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "dr: FAIL: $*" >&2; FAILED=1; }

ip netns add "$P-client"
ip netns add "$P-rs"
ip -n "$P-client" link add eth0 type veth peer name eth0 netns "$P-rs"
for n in client rs; do
  ip -n "$P-$n" link set lo up
  ip -n "$P-$n" link set eth0 up
done
ip -n "$P-client" addr add 10.213.1.1/24 dev eth0
ip -n "$P-rs" addr add 10.213.1.2/24 dev eth0
ip -n "$P-client" addr add fd00:213:1::1/64 dev eth0 nodad
ip -n "$P-rs" addr add fd00:213:1::2/64 dev eth0 nodad
# The VIP on the real server's lo, never answered for by ARP or ND.
ip -n "$P-rs" addr add "$VIP4/32" dev lo
ip -n "$P-rs" addr add "$VIP6/128" dev lo
ip netns exec "$P-rs" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
# The balancer's part: the client's packets for the VIP go to the real
# server's MAC.
ip -n "$P-client" route add "$VIP4/32" via 10.213.1.2
ip -n "$P-client" -6 route add "$VIP6/128" via fd00:213:1::2

cat >"$WORK/dr.zone" <<'EOF'
$ORIGIN dr.test.
$TTL 60
@ SOA ns1 hostmaster 1 60 30 600 60
@ NS ns1
ns1 A 10.213.1.100
www A 192.0.2.53
EOF

run_case() {
  local label=$1; shift
  local listen=("$@") args=() address vip transport
  for address in "${listen[@]}"; do args+=(--listen "$address"); done
  ip netns exec "$P-rs" "$HADNS" serve --zone "dr.test.=$WORK/dr.zone" "${args[@]}" \
    --udp-workers 1 --no-builtin-zones >"$WORK/$label.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    grep -q " ready " "$WORK/$label.log" && break
    sleep 0.05
  done
  for vip in "$VIP4" "$VIP6"; do
    for transport in +notcp +tcp; do
      # dig ignores (and reports) a UDP reply from any address but the one
      # it asked, so an answer here came from the VIP.
      answer=$(ip netns exec "$P-client" dig +short +time=2 +tries=1 "$transport" "@$vip" www.dr.test. A 2>&1 || true)
      if [ "$answer" = 192.0.2.53 ]; then
        echo "dr: $label: $vip ${transport#+}: answered from the VIP"
      else
        fail "$label: $vip ${transport#+}: got [$answer]"
      fi
    done
  done
  kill "$PID"
  wait "$PID" 2>/dev/null || true
  PID=""
}

run_case wildcard 0.0.0.0:53 "[::]:53"
run_case vip-bound "$VIP4:53" "[$VIP6]:53"

[ "$FAILED" -eq 0 ] || exit 1
echo "dr: all cases passed"
