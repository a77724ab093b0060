#!/usr/bin/env bash
# Lab 1: the classic HA topology in network namespaces, end to end.
#
#   client ─┐                        10.213.0.0/24 on one bridge, no default route
#   lb1 ────┤  keepalived -P (VRRP only, advert_int 0.1) holds the VIP .100;
#   lb2 ────┤  nft-balancer.sh spreads queries to the VIP over the healthy
#           │  secondaries (hadns check every 0.2 s), LVS-DR style
#   primary ┤  hadns: store, API, catalog zone, NOTIFY
#   ns1 ────┤  hadns secondaries that know only the catalog; VIP on lo,
#   ns2 ────┘  arp_ignore=1, arp_announce=2, answering on 0.0.0.0:53
#
# A probe in `client` queries the VIP every 10 ms. Scenarios, each asserted
# with a loose bound and measured (the numbers are printed as `MEASURE`
# lines): (a) an API write on the primary is answered at the VIP by both
# secondaries; (b) ns1 killed: no loss after the bound; (c) ns1 stale (its
# transfers blocked while the primary changes): out of rotation, back when
# caught up; (d) lb1's link down: the VIP moves to lb2; (e) the primary
# killed: no failed query, writes resume after its restart; (f) ns1
# restarted: answers from its saved copy at once and catches up. Then a
# recursive resolver (Unbound, `stub-zone` at the VIP) resolves the zone.
#
# Run as root: tests/ha/lab1.sh [path/to/hadns]. Uses only 10.213.0.0/24
# inside namespaces it creates (and deletes), and ends only the processes
# it started, by PID.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export HADNS=${1:-${HADNS:-$here/../../target/debug/hadns}}
HADNS=$(realpath "$HADNS")
[ -x "$HADNS" ] || { echo "lab1: no hadns binary at $HADNS (cargo build first)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "lab1: must run as root (network namespaces)" >&2; exit 2; }
for program in ip nft keepalived unbound dig; do
  command -v "$program" >/dev/null || [ -x "/usr/sbin/$program" ] ||
    { echo "lab1: $program is missing (scripts/test installs it)" >&2; exit 2; }
done
PY=/usr/bin/python3
TOOL="$here/labtool.py"

P=hl$$
WORK=$(mktemp -d /tmp/hadns-lab1.XXXXXX)
PIDS=()
NAMESPACES=(br client lb1 lb2 primary ns1 ns2)
declare -A ADDR=([client]=10.213.0.10 [lb1]=10.213.0.2 [lb2]=10.213.0.3 [primary]=10.213.0.20 [ns1]=10.213.0.21 [ns2]=10.213.0.22)
VIP=10.213.0.100
KEY_SECRET=bGFiLXhmci1rZXktbGFiLXhmci1rZXktbGFiLXhmcgo=
FAILED=0
# nft: LVS stand-in (this kernel has no IPVS); ipvs: keepalived's own LVS.
BALANCER=${BALANCER:-nft}
if [ "$BALANCER" = ipvs ]; then
  # keepalived's delay_loop is whole seconds, 1 at least; the checks are
  # slower in the VM.
  CHECK_PERIOD=1 CHECK_TIMEOUT=0.5 PROBE_INTERVAL=0.02 PROBE_TIMEOUT=1
  # Everything runs ~10-30x slower under emulation: bounds scale by SLOW,
  # and the scenarios Lab 2 must show are (a)-(d).
  SLOW=6 WRITES=5 SCENARIOS="a c b d"
else
  CHECK_PERIOD=0.2 CHECK_TIMEOUT=0.2 PROBE_INTERVAL=0.01 PROBE_TIMEOUT=0.2
  SLOW=1 WRITES=10 SCENARIOS="a c b f d e unbound"
fi
# A secondary may trail by a few serials while a change propagates, but
# not stay behind: both secondaries briefly behind after every write must
# not empty the pool.
MAX_LAG=3 MAX_BEHIND=1

log() { echo "lab1: $*"; }
runs() { [[ " $SCENARIOS " == *" $1 "* ]]; }
fail() { echo "lab1: FAIL: $*" >&2; FAILED=1; }
measure() { echo "MEASURE $*"; }
now() { date +%s.%N; }
# Milliseconds since a `now` time (shell arithmetic: under emulation, in
# Lab 2, every process started costs a lot).
ms_since() { echo $(( ($(date +%s%N) - ${1/./}) / 1000000 )); }
in_ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for f in "$WORK"/*/vrrp.pid "$WORK"/*/keepalived.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 0.3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  for n in "${NAMESPACES[@]}"; do ip netns del "$P-$n" 2>/dev/null || true; done
  if [ "$status" -ne 0 ] || [ "$FAILED" -ne 0 ]; then
    log "logs kept in $WORK"
    for f in "$WORK"/*/*.log; do echo "== $f"; tail -n 15 "$f"; done
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

# start NAME NS CMD... : runs CMD in namespace NS, output to $WORK/NAME/NAME.log
start() {
  local name=$1 n=$2; shift 2
  mkdir -p "$WORK/$name"
  ip netns exec "$P-$n" "$@" >>"$WORK/$name/$name.log" 2>&1 &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

# wait_until SECONDS WHAT CMD...: polls CMD every 50 ms (SECONDS whole).
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s%N)" -gt "$deadline" ]; then
      fail "$what: not within ${limit}s"
      return 1
    fi
    sleep 0.05
  done
}

# ---------------------------------------------------------------- network
for n in "${NAMESPACES[@]}"; do
  ip netns add "$P-$n"
  in_ns "$n" ip link set lo up
  in_ns "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
in_ns br ip link add br0 type bridge
in_ns br ip link set br0 up
for n in client lb1 lb2 primary ns1 ns2; do
  ip -n "$P-br" link add "v-$n" type veth peer name eth0 netns "$P-$n"
  ip -n "$P-br" link set "v-$n" master br0 up
  in_ns "$n" ip addr add "${ADDR[$n]}/24" dev eth0
  in_ns "$n" ip link set eth0 up
done
for n in ns1 ns2; do
  # DR real servers: the VIP on lo, never answered for by ARP.
  in_ns "$n" ip addr add "$VIP/32" dev lo
  in_ns "$n" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
done
for n in lb1 lb2; do
  in_ns "$n" sysctl -qw net.ipv4.ip_nonlocal_bind=1
done

# ------------------------------------------------------------- the nodes
key_table="[[key]]
name = \"xfr\"
algorithm = \"hmac-sha256\"
secret = \"$KEY_SECRET\""

mkdir -p "$WORK/primary"
cat >"$WORK/primary/hadns.toml" <<EOF
version = 1
[node]
name = "primary"
data_dir = "$WORK/primary/data"
[dns]
listen = ["${ADDR[primary]}:53"]
builtin_zones = false
udp_workers = 1
[api]
listen = "${ADDR[primary]}:8053"
[replication]
min_refresh = 1
min_retry = 1
min_expire = 1
$key_table
[zone_defaults]
allow_transfer = ["key xfr"]
notify = ["${ADDR[ns1]}:53", "${ADDR[ns2]}:53"]
notify_key = "xfr"
[catalog]
produce = "catalog.hadns."
allow_transfer = ["key xfr"]
notify = ["${ADDR[ns1]}:53", "${ADDR[ns2]}:53"]
notify_key = "xfr"
EOF
start_primary() { start primary primary env HADNS_LOG=info "$HADNS" serve -c "$WORK/primary/hadns.toml"; }
start_primary
wait_until 20 "primary credentials" test -s "$WORK/primary/data/initial-credentials"
TOKEN=$(sed -n 's/^api_token = //p' "$WORK/primary/data/initial-credentials" | tr -d ' ')
API="http://${ADDR[primary]}:8053/api/v1/servers/localhost/zones"
api_call() { local method=$1 url=$2 body=${3:-}; in_ns client $PY "$TOOL" api "$method" "$url" "$TOKEN" ${body:+"$body"}; }
wait_until 20 "primary API answers" api_call GET "$API"

# SOA retry 2 s: a secondary whose transfer failed (scenario c) tries again
# soon after its primary is reachable again, as it would after `retry`.
api_call POST "$API" '{"name": "lab.test.", "kind": "Native", "nameservers": ["ns1.lab.test."], "rrsets": [{"name": "lab.test.", "type": "SOA", "ttl": 60, "records": [{"content": "ns1.lab.test. hostmaster.lab.test. 1 60 2 600 60", "disabled": false}]}, {"name": "www.lab.test.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.1", "disabled": false}]}]}' >/dev/null ||
  { fail "creating lab.test. on the primary"; exit 1; }
# set_www ADDRESS: the API write; prints when the request left (the
# measurements start there, not before the tool started).
set_www() {
  local out
  out=$(in_ns client $PY "$TOOL" api PATCH "$API/lab.test." "$TOKEN" "{\"rrsets\": [{\"name\": \"www.lab.test.\", \"type\": \"A\", \"ttl\": 60, \"changetype\": \"REPLACE\", \"records\": [{\"content\": \"$1\", \"disabled\": false}]}]}") || return 1
  echo "$out" | sed -n 's/^sent=\([0-9.]*\).*/\1/p'
}

for n in ns1 ns2; do
  mkdir -p "$WORK/$n"
  cat >"$WORK/$n/hadns.toml" <<EOF
version = 1
[node]
name = "$n"
data_dir = "$WORK/$n/data"
[dns]
listen = ["0.0.0.0:53"]
builtin_zones = false
udp_workers = 1
nsid = "$n"
[health]
listen = "${ADDR[$n]}:8054"
[replication]
min_refresh = 1
min_retry = 1
min_expire = 1
$key_table
[[catalog_consumer]]
zone = "catalog.hadns."
primaries = ["${ADDR[primary]}:53"]
key = "xfr"
EOF
done
start_secondary() { start "$1" "$1" env HADNS_LOG=info "$HADNS" serve -c "$WORK/$1/hadns.toml"; }
start_secondary ns1
start_secondary ns2
# serves_www SERVER ADDRESS: SERVER answers www.lab.test. A with ADDRESS
# (asked from `client` with `hadns check`, which starts far faster than dig
# under emulation).
serves_www() {
  in_ns client "$HADNS" check --server "$1" --name www.lab.test. --type A --expect "$2" --timeout 1
}
answers_www() { in_ns client "$HADNS" check --server "$1" --name www.lab.test. --type A --timeout 1; }
for n in ns1 ns2; do
  wait_until 20 "$n serves lab.test. from the catalog" serves_www "${ADDR[$n]}" 192.0.2.1
done
log "primary, ns1, ns2 up; both secondaries learned lab.test. from the catalog"

# -------------------------------------------------------------- balancers
# The cluster file `hadns keepalived` turns into each balancer's
# keepalived.conf. With BALANCER=ipvs (Lab 2, in a VM whose kernel has
# IPVS) keepalived runs that config whole: VRRP, the LVS-DR virtual servers
# and MISC_CHECK calling `hadns check`. With BALANCER=nft (this machine's
# kernel has no IPVS) keepalived runs the same config with -P (VRRP only)
# and nft-balancer.sh stands in for LVS, running the same check.
cat >"$WORK/cluster.toml" <<EOF
version = 1
[primary]
name = "primary"
address = "${ADDR[primary]}"
[[secondary]]
name = "ns1"
addresses = ["${ADDR[ns1]}"]
health = "${ADDR[ns1]}:8054"
[[secondary]]
name = "ns2"
addresses = ["${ADDR[ns2]}"]
health = "${ADDR[ns2]}:8054"
[balancer]
interface = "eth0"
virtual_router_id = 53
vips = ["$VIP"]
advert_int = 0.1
lb_algo = "rr"
delay_loop = 1
[[balancer.node]]
name = "lb1"
priority = 150
address = "${ADDR[lb1]}"
[[balancer.node]]
name = "lb2"
priority = 100
address = "${ADDR[lb2]}"
[check]
program = "$HADNS"
zones = ["lab.test."]
max_lag = $MAX_LAG
max_behind = $MAX_BEHIND
timeout = $CHECK_TIMEOUT
retry = 0
EOF
for n in lb1 lb2; do
  mkdir -p "$WORK/$n"
  "$HADNS" keepalived --config "$WORK/cluster.toml" --node "$n" --output "$WORK/$n/keepalived.conf" ||
    { fail "hadns keepalived --node $n"; exit 1; }
  # keepalived -t in the balancer's namespace (it checks the interface
  # exists), as the checks' user: 2.2.7's -t kills itself when it checks a
  # script as another user than its own (fixed after 2.2.7).
  chmod 755 "$WORK" "$WORK/$n"
  chmod 644 "$WORK/$n/keepalived.conf"
  in_ns "$n" setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    keepalived -t -l -f "$WORK/$n/keepalived.conf" >"$WORK/$n/keepalived-t.log" 2>&1 ||
    { fail "keepalived -t refused the generated config: $(cat "$WORK/$n/keepalived-t.log")"; exit 1; }
  if [ "$BALANCER" = ipvs ]; then
    in_ns "$n" sysctl -qw net.ipv4.vs.expire_nodest_conn=1
    start "$n-keepalived" "$n" keepalived -n -l -D -f "$WORK/$n/keepalived.conf" \
      -p "$WORK/$n/keepalived.pid" -r "$WORK/$n/vrrp.pid" -c "$WORK/$n/checkers.pid"
  else
    start "$n-keepalived" "$n" keepalived -P -n -l -D -f "$WORK/$n/keepalived.conf" \
      -p "$WORK/$n/keepalived.pid" -r "$WORK/$n/vrrp.pid" -c "$WORK/$n/checkers.pid"
    # Each real server's MISC_CHECK command, from the UDP virtual server.
    awk '/protocol UDP/ {udp = 1} /protocol TCP/ {udp = 0}
         udp && /real_server/ {address = $2}
         udp && /misc_path/ {sub(/^[^"]*"/, ""); sub(/"[^"]*$/, ""); print address, $0}' \
      "$WORK/$n/keepalived.conf" >"$WORK/$n/checks"
    [ "$(wc -l <"$WORK/$n/checks")" -eq 2 ] || { fail "no MISC_CHECK lines in $WORK/$n/keepalived.conf"; exit 1; }
    start "$n-balancer" "$n" bash "$here/nft-balancer.sh" eth0 "$VIP" "$CHECK_PERIOD" "$WORK/$n/members" "$WORK/$n/checks"
  fi
done
# members LB: the real servers LB sends queries to now, in address order.
members() {
  if [ "$BALANCER" = ipvs ]; then
    in_ns "$1" ipvsadm -L -n -u "$VIP:53" | sed -n 's/^ *-> \([0-9.]*\):53 .*/\1/p' | sort | tr '\n' ' ' | sed 's/ $//'
  else
    tail -n 1 "$WORK/$1/members" 2>/dev/null | sed 's/^[0-9.]* members: //'
  fi
}
members_are() { [ "$(members "$1")" = "$2" ]; }
vip_on() { in_ns "$1" ip -o addr show dev eth0 | grep -q " $VIP/"; }
wait_until 10 "lb1 holds the VIP" vip_on lb1
wait_until 15 "lb1 balances over both secondaries" members_are lb1 "${ADDR[ns1]} ${ADDR[ns2]}"
wait_until 15 "lb2 balances over both secondaries" members_are lb2 "${ADDR[ns1]} ${ADDR[ns2]}"
wait_until 10 "the VIP answers" serves_www "$VIP" 192.0.2.1
log "lb1 holds the VIP; queries to the VIP reach ns1 and ns2 ($BALANCER)"

PROBE="$WORK/client/probe.log"
mkdir -p "$WORK/client"
start probe client $PY "$TOOL" probe --server "$VIP" --qname www.lab.test. --out "$PROBE" \
  --interval "$PROBE_INTERVAL" --timeout "$PROBE_TIMEOUT" --duration 600
sleep 1

window() { in_ns client $PY "$TOOL" window --log "$PROBE" --since "$1" ${2:+--until "$2"}; }
field() { sed -n "s/.*$1=\([0-9-]*\).*/\1/p"; }
# wait_answered SINCE ADDRESS LIMIT: waits until both secondaries answered
# ADDRESS at the VIP to a query sent after SINCE; prints the milliseconds
# from SINCE to the later of the two.
wait_answered() {
  local took
  took=$($PY "$TOOL" wait-first --log "$PROBE" --since "$1" --answer "$2" --nsids ns1,ns2 --limit "$3")
  if [ "$took" -lt 0 ]; then
    fail "both secondaries answering $2 at the VIP: not within $3 s"
    return 1
  fi
  echo "$took"
}

# ----------------------------------------------------- (a) write → VIP
latencies=()
for i in $(seq 1 "$WRITES"); do
  address=192.0.2.$((10 + i))
  t0=$(set_www "$address") || { fail "(a) PATCH $i"; break; }
  took=$(wait_answered "$t0" "$address" $(( 10 * SLOW ))) || { fail "(a) write $i not answered by both at the VIP"; break; }
  latencies+=("$took")
done
sorted=$(printf '%s\n' "${latencies[@]}" | sort -n)
measure "a_write_to_vip_ms median=$(echo "$sorted" | sed -n "$(( (${#latencies[@]} + 1) / 2 ))p") max=$(echo "$sorted" | tail -1) all=$(echo $sorted | tr ' ' ,)"
CURRENT=$address

# --------------------------------------------- (c) ns1 stale, then back
in_ns ns1 nft -f - <<EOF
table inet lab_block {
  chain out { type filter hook output priority 0; policy accept; ip daddr ${ADDR[primary]} tcp dport 53 drop; }
}
EOF
t0=$(set_www 192.0.2.99) || fail "(c) PATCH"
# ns1 keeps the old address: from now on it must leave the rotation.
wait_until $(( 5 * SLOW )) "(c) ns1 out of lb1's rotation" members_are lb1 "${ADDR[ns2]}"
[ "$BALANCER" = ipvs ] && { echo "ipvsadm on lb1 with ns1 stale:"; in_ns lb1 ipvsadm -L -n; }
sleep $(( 1 * SLOW ))
stale_last=$($PY - "$PROBE" "$t0" "$CURRENT" <<'EOF'
import sys
log, since, old = sys.argv[1], float(sys.argv[2]), sys.argv[3]
last = 0.0
for line in open(log):
    p = line.split()
    if len(p) >= 4 and float(p[0]) >= since and p[1] == "ok" and p[3] == old:
        last = max(last, float(p[0]) - since)
print(int(last * 1000))
EOF
)
measure "c_stale_answers_until_ms=$stale_last"
[ "$stale_last" -le $(( 3000 * SLOW )) ] || fail "(c) ns1 answered stale data for ${stale_last} ms at the VIP"
in_ns ns1 nft delete table inet lab_block
t1=$(now)
took=$(wait_answered "$t1" 192.0.2.99 $(( 15 * SLOW ))) || fail "(c) ns1 not back with the new data"
measure "c_back_in_rotation_ms=$took"
[ "$BALANCER" = ipvs ] && { echo "ipvsadm on lb1 with ns1 caught up:"; in_ns lb1 ipvsadm -L -n; }
w=$(window "$t0")
measure "c_window $w"
[ "$(echo "$w" | field lost)" -eq 0 ] || fail "(c) queries lost while ns1 was stale: $w"
CURRENT=192.0.2.99

# ------------------------------------------------- (b) ns1 killed, (f) back
t0=$(now)
kill -9 "$PID_ns1"
sleep $(( 2 * SLOW ))
w=$(window "$t0")
measure "b_ns1_killed $w"
[ "$BALANCER" = ipvs ] && { echo "ipvsadm on lb1 with ns1 killed:"; in_ns lb1 ipvsadm -L -n; }
[ "$(echo "$w" | field last_loss_ms)" -le $(( 1500 * SLOW )) ] || fail "(b) losses went on for too long: $w"
if runs f; then
# While ns1 is down the zone changes; its restart must answer from the saved
# copy at once, then catch up.
set_www 192.0.2.77 >/dev/null || fail "(f) PATCH"
t0=$(now)
start_secondary ns1
wait_until $(( 5 * SLOW )) "(f) ns1 answers again" answers_www "${ADDR[ns1]}"
measure "f_restart_to_answer_ms=$(ms_since "$t0")"
wait_until $(( 5 * SLOW )) "(f) ns1 catches up" serves_www "${ADDR[ns1]}" 192.0.2.77
measure "f_restart_to_current_ms=$(ms_since "$t0")"
grep -q "serving the persisted copy" "$WORK/ns1/ns1.log" || fail "(f) ns1 did not serve its saved copy at start"
took=$(wait_answered "$t0" 192.0.2.77 $(( 10 * SLOW ))) || fail "(f) ns1 not back at the VIP"
CURRENT=192.0.2.77
fi

# ------------------------------------------------------- (d) lb1 link down
t0=$(now)
ip -n "$P-br" link set v-lb1 down
wait_until $(( 5 * SLOW )) "(d) lb2 takes the VIP" vip_on lb2
measure "d_vip_moved_ms=$(ms_since "$t0")"
sleep $(( 2 * SLOW ))
w=$(window "$t0")
measure "d_lb1_down $w"
[ "$(echo "$w" | field last_loss_ms)" -le $(( 2000 * SLOW )) ] || fail "(d) losses went on for too long: $w"
# lb1 back: it has the higher priority and takes the VIP again (preemption,
# keepalived's default): a second, planned move, measured too.
t0=$(now)
ip -n "$P-br" link set v-lb1 up
wait_until $(( 20 * SLOW )) "(d) lb1 takes the VIP back (after preempt_delay)" vip_on lb1
sleep $(( 2 * SLOW ))
w=$(window "$t0")
measure "d_lb1_back $w"
[ "$(echo "$w" | field last_loss_ms)" -le $(( 2000 * SLOW )) ] || fail "(d) losses after lb1 came back went on for too long: $w"

# --------------------------------------------------- (e) primary killed
if runs e; then
t0=$(now)
kill -9 "$PID_primary"
sleep $(( 2 * SLOW ))
w=$(window "$t0")
measure "e_primary_killed $w"
[ "$(echo "$w" | field lost)" -eq 0 ] || fail "(e) queries failed with the primary down: $w"
start_primary
wait_until $(( 20 * SLOW )) "(e) primary API back" api_call GET "$API"
t0=$(set_www 192.0.2.55) || fail "(e) PATCH after the restart"
took=$(wait_answered "$t0" 192.0.2.55 $(( 10 * SLOW ))) || fail "(e) write after the restart not at the VIP"
measure "e_write_after_restart_to_vip_ms=$took"
fi

touch "$PROBE.stop"
sleep 0.3
w=$(window 0)
measure "probe_total sent=$(echo "$w" | field sent) lost=$(echo "$w" | field lost)"

# ------------------------------------------------ Unbound in front of the VIP
if runs unbound; then
mkdir -p "$WORK/unbound"
cat >"$WORK/unbound/unbound.conf" <<EOF
server:
  interface: 127.0.0.1
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$WORK/unbound"
  pidfile: "$WORK/unbound/unbound.pid"
  use-syslog: no
  do-not-query-localhost: no
  access-control: 127.0.0.0/8 allow
  domain-insecure: "lab.test."
  # test. is one of Unbound's default local zones (RFC 6761): let it through.
  local-zone: "test." nodefault
stub-zone:
  name: "lab.test."
  stub-addr: $VIP
EOF
start unbound client unbound -d -c "$WORK/unbound/unbound.conf"
wait_until $(( 10 * SLOW )) "Unbound resolves lab.test. through the VIP" \
  bash -c "[ \"\$(ip netns exec $P-client dig +short +time=1 +tries=1 @127.0.0.1 www.lab.test. A)\" = 192.0.2.55 ]"
answer=$(in_ns client dig +time=1 +tries=1 @127.0.0.1 www.lab.test. A)
echo "$answer" | grep -q "flags: qr rd ra;" || fail "Unbound's answer is not a recursive (non-AA) one: $answer"
log "Unbound resolved www.lab.test. through the VIP"
fi

if [ "$FAILED" -ne 0 ]; then
  log "FAILED"
  exit 1
fi
log "all scenarios passed"
