#!/usr/bin/env bash
# The .deb built by tests/package/build.sh, on this host: installed (and
# installed again: the maintainer scripts are idempotent), its systemd unit
# verified, the packaged configuration checked and served as root with
# `user = hadns` on high loopback ports (dig asks 127.0.0.1 only), the
# SysV init script driven through start/status/reload/stop, then purged:
# files, configuration and /var/lib/hadns gone, the hadns user kept
# (docs/packaging.md says why). Root only (dpkg); without root it says so.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "tests/package/deb.sh: skipped: installing a package needs root"
  exit 0
fi
if dpkg-query -W -f='${Status}' hadns 2>/dev/null | grep -q "ok installed"; then
  echo "tests/package/deb.sh: skipped: a hadns package is installed on this host; the test installs and purges its own"
  exit 0
fi
fail() { echo "tests/package/deb.sh: FAIL: $*" >&2; exit 1; }
shopt -s nullglob
packages=(target/package/hadns_*.deb)
[ ${#packages[@]} -eq 1 ] || fail "expected one target/package/hadns_*.deb (run tests/package/build.sh), found ${#packages[@]}"
package=${packages[0]}

work=$(mktemp -d)
pid=""
init_pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  # The init script's node, by the PID it wrote, even if the script lost it.
  if [ -n "$init_pid" ] && [ "$(cat "/proc/$init_pid/comm" 2>/dev/null)" = hadns ]; then
    kill -KILL "$init_pid" 2>/dev/null || true
  fi
  if [ -x /etc/init.d/hadns ]; then /etc/init.d/hadns stop >/dev/null 2>&1 || true; fi
  dpkg --purge hadns >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# Two free loopback ports (UDP and TCP for DNS, TCP for the API), above
# the ephemeral range and the cargo tests' (20000-32000): another test's
# node must not be the one that answers.
port() {
  local p
  for _ in $(seq 1 200); do
    p=$((61000 + RANDOM % 4000))
    if ! ss -Hlnut "sport = :$p" | grep -q .; then echo "$p"; return; fi
  done
  fail "no free port"
}
dns=$(port)
api=$(port)
[ "$dns" != "$api" ] || api=$((dns + 1))

# Waits up to 30 s until the node answers the built-in localhost. SOA.
answers() {
  for _ in $(seq 1 60); do
    if [ -n "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$dns" localhost SOA)" ]; then return 0; fi
    sleep 0.5
  done
  return 1
}

dpkg -i "$package" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg -i "$package" >"$work/dpkg2.log" 2>&1 || { cat "$work/dpkg2.log"; fail "a second dpkg -i (maintainer scripts must be idempotent)"; }
for path in /usr/bin/hadns /etc/hadns/hadns.toml /lib/systemd/system/hadns.service /etc/init.d/hadns \
  /usr/share/man/man1/hadns.1.gz /usr/share/man/man1/hadns-serve.1.gz /usr/share/man/man1/hadns-ctl.1.gz \
  /usr/share/bash-completion/completions/hadns /usr/share/zsh/vendor-completions/_hadns \
  /usr/share/fish/vendor_completions.d/hadns.fish /usr/share/doc/hadns/packaging.md \
  /usr/share/doc/hadns/copyright; do
  [ -e "$path" ] || fail "$path is not installed"
done
grep -qxF /etc/hadns/hadns.toml /var/lib/dpkg/info/hadns.conffiles || fail "the configuration is not a conffile"
getent passwd hadns >/dev/null || fail "postinst made no hadns user"
[ "$(stat -c %U:%G:%a /var/lib/hadns)" = hadns:hadns:700 ] || fail "/var/lib/hadns is $(stat -c %U:%G:%a /var/lib/hadns), not hadns:hadns:700"
/usr/bin/hadns config check /etc/hadns/hadns.toml >/dev/null || fail "hadns config check of the packaged configuration"
bash -c 'source /usr/share/bash-completion/completions/hadns && complete -p hadns' >/dev/null \
  || fail "the bash completion defines none for hadns"
# Offline: systemd-analyze verify needs no running systemd.
systemd-analyze verify --man=no /lib/systemd/system/hadns.service >"$work/verify.log" 2>&1 \
  || { cat "$work/verify.log"; fail "systemd-analyze verify hadns.service"; }
[ ! -s "$work/verify.log" ] || { cat "$work/verify.log"; fail "systemd-analyze verify warned"; }

# The packaged configuration, run as root: it drops to hadns.
/usr/bin/hadns serve --config /etc/hadns/hadns.toml --listen "127.0.0.1:$dns" \
  --api-listen "127.0.0.1:$api" >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 150); do grep -q " ready " "$work/serve.log" && break; sleep 0.2; done
grep -q " ready " "$work/serve.log" || { cat "$work/serve.log"; fail "the node did not log ready in 30 s"; }
answers || { cat "$work/serve.log"; fail "no answer on 127.0.0.1:$dns"; }
uid=$(id -u hadns)
grep -q "^Uid:[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid$" "/proc/$pid/status" \
  || fail "the node does not run as hadns: $(grep ^Uid "/proc/$pid/status")"
grep -q "^CapEff:[[:space:]]*0000000000000000$" "/proc/$pid/status" || fail "the node kept capabilities"
/usr/bin/hadns ctl --config /etc/hadns/hadns.toml status >/dev/null || fail "hadns ctl status"
others=$(find /var/lib/hadns ! -user hadns)
[ -z "$others" ] || fail "not hadns's: $others"
# Private from creation: files 0600, directories 0700 (sockets too).
open=$(find /var/lib/hadns -perm /077)
[ -z "$open" ] || fail "open to other users: $(ls -ld $open)"
[ -s /var/lib/hadns/initial-credentials ] || fail "no initial credentials"
kill -TERM "$pid"
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
! kill -0 "$pid" 2>/dev/null || fail "hadns (pid $pid) did not stop on SIGTERM"
wait "$pid" || fail "hadns exited with $? on SIGTERM"
pid=""

# The SysV init script, on the same ports.
export OPTIONS="--listen 127.0.0.1:$dns --api-listen 127.0.0.1:$api"
started=0
/etc/init.d/hadns start || started=$?
init_pid=$(cat /run/hadns.pid 2>/dev/null || true)
[ "$started" -eq 0 ] || { tail -n 20 /var/log/hadns.log; fail "init script start"; }
/etc/init.d/hadns status >/dev/null || fail "init script status after start"
answers || fail "no answer after the init script's start"
/etc/init.d/hadns reload || fail "init script reload"
for _ in $(seq 1 50); do grep -q "reload done" /var/log/hadns.log && break; sleep 0.2; done
grep -q "reload done" /var/log/hadns.log || fail "no reload done in /var/log/hadns.log"
answers || fail "no answer after reload"
/etc/init.d/hadns stop || fail "init script stop"
set +e
/etc/init.d/hadns status >/dev/null
status=$?
set -e
[ "$status" -eq 3 ] || fail "init script status after stop is $status, not 3"

dpkg --purge hadns >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg --purge"; }
for path in /usr/bin/hadns /etc/hadns /etc/init.d/hadns /lib/systemd/system/hadns.service \
  /var/lib/hadns /var/log/hadns.log /usr/share/doc/hadns /usr/share/man/man1/hadns.1.gz; do
  [ ! -e "$path" ] || fail "$path is still there after purge"
done
# Kept on purpose (docs/packaging.md).
getent passwd hadns >/dev/null || fail "purge removed the hadns user"
echo "tests/package/deb.sh: ok: $package ($(stat -c %s "$package") octets)"
