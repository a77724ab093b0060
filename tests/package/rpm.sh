#!/usr/bin/env bash
# The .rpm built by tests/package/build.sh, read with rpm(8) (no install:
# this host is Debian): every path of the layout, the configuration as
# %config(noreplace), the scripts that make the hadns user.
set -euo pipefail
cd "$(dirname "$0")/../.."
fail() { echo "tests/package/rpm.sh: FAIL: $*" >&2; exit 1; }
command -v rpm >/dev/null || fail "rpm is not installed (apt-get install rpm)"
shopt -s nullglob
packages=(target/package/hadns-*.rpm)
[ ${#packages[@]} -eq 1 ] || fail "expected one target/package/hadns-*.rpm (run tests/package/build.sh), found ${#packages[@]}"
package=${packages[0]}

files=$(rpm -qlp "$package")
for path in /usr/bin/hadns /etc/hadns/hadns.toml /etc/rc.d/init.d/hadns \
  /usr/lib/systemd/system/hadns.service /usr/share/man/man1/hadns.1 \
  /usr/share/man/man1/hadns-serve.1 /usr/share/man/man1/hadns-config-check.1 \
  /usr/share/bash-completion/completions/hadns /usr/share/zsh/site-functions/_hadns \
  /usr/share/fish/vendor_completions.d/hadns.fish /usr/share/doc/hadns/README.md \
  /usr/share/doc/hadns/packaging.md /usr/share/doc/hadns/configuration.md; do
  grep -qxF "$path" <<<"$files" || fail "$path is not in $package"
done
# The hidden packaging command has no page.
! grep -q "hadns-generate" <<<"$files" || fail "hadns generate has a man page"
[ "$(rpm -qpc "$package")" = /etc/hadns/hadns.toml ] || fail "the configuration is not the only %config file"
rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$package" | grep -qx 'cn /etc/hadns/hadns.toml' \
  || fail "/etc/hadns/hadns.toml is not %config(noreplace)"
[ "$(rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$package" | grep ' /usr/bin/hadns$' | cut -d' ' -f1)" = -rwxr-xr-x ] \
  || fail "/usr/bin/hadns is not mode 755"
scripts=$(rpm -qp --scripts "$package")
grep -q "useradd --system --gid hadns" <<<"$scripts" || fail "no preinstall script making the hadns user"
grep -q "install -d -o hadns -g hadns -m 0700 /var/lib/hadns" <<<"$scripts" || fail "no postinstall making /var/lib/hadns"
echo "tests/package/rpm.sh: ok: $package ($(stat -c %s "$package") octets, $(wc -l <<<"$files") files)"
