#!/usr/bin/env bash
# Builds the hadns packages into target/package/: hadns_*.deb (cargo-deb)
# and hadns-*.rpm (cargo-generate-rpm), from a binary already built with
# PROFILE (default `vm`, the one scripts/test builds for Lab 2: no second
# optimised build just for packaging). Man pages and completions come from
# that binary (`hadns generate`). The two cargo tools are installed into
# target/package-tools/ at pinned versions the first time.
#
# Usage: tests/package/build.sh [PROFILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
profile=${1:-vm}
binary=target/$profile/hadns
if [ ! -x "$binary" ]; then
  echo "tests/package/build.sh: $binary is missing: cargo build --profile $profile --bin hadns" >&2
  exit 1
fi

tools=$PWD/target/package-tools
install_tool() { # crate version [cargo install option]
  if [ ! -x "$tools/bin/$1" ] || ! "$tools/bin/$1" --version | grep -qF "$2"; then
    local start=$SECONDS
    cargo install --quiet --locked --root "$tools" "$1" --version "$2" ${3:+"$3"}
    echo "tests/package/build.sh: installed $1 $2 in $((SECONDS - start)) s" >&2
  fi
}
# Measured on 2 shared cores: cargo-deb installs in 60-80 s. cargo-generate-rpm
# brings 219 crates (an OpenPGP stack among them): 200-280 s optimised,
# 142 s as a debug build, which then packages in 26 s instead of 10 s; so
# debug it is.
install_tool cargo-deb 3.8.0
install_tool cargo-generate-rpm 0.21.1 --debug
export PATH="$tools/bin:$PATH"

out=target/package
rm -rf "$out"
mkdir -p "$out"
"$binary" generate man "$out/man"
"$binary" generate completions "$out/completions"

# cargo-deb reads target/$profile/hadns for the asset target/release/hadns,
# and strips it.
cargo deb --quiet --no-build --profile "$profile" --output "$out/"
# cargo-generate-rpm does not strip: give it a stripped copy through its
# --target-dir (only the binary's path is taken from there). xz: every
# rpm since RHEL 6 reads it.
mkdir -p "$out/stripped/$profile"
strip -o "$out/stripped/$profile/hadns" "$binary"
cargo generate-rpm --profile "$profile" --target-dir "$out/stripped" \
  --payload-compress xz --output "$out/"
rm -rf "$out/stripped"
for package in "$out"/hadns_*.deb "$out"/hadns-*.rpm; do
  echo "tests/package/build.sh: $package: $(stat -c %s "$package") octets"
done
