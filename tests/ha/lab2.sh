#!/usr/bin/env bash
# Lab 2: Lab 1's topology on real IPVS. This machine's kernel has no IPVS,
# so the lab runs in a VM booted with Debian's own kernel (which has it as
# modules) under qemu (TCG: nested KVM is not available here), with the
# host's userland mounted read-only over 9p (see vm/build.sh and vm/init):
# keepalived runs the config `hadns keepalived` generated, whole — VRRP on
# two balancers, the UDP and TCP virtual servers in DR mode, and MISC_CHECK
# calling `hadns check` — and `ipvsadm -L -n` shows a stale real server
# leave and come back.
#
# Run as root: tests/ha/lab2.sh [path/to/hadns], by default the `vm`
# profile's build (cargo build --profile vm --bin hadns: a debug build is
# too slow under emulation, where every check starts it). Needs qemu-system-x86,
# busybox-static, kmod, cpio, ipvsadm (scripts/test installs them). The
# kernel and initramfs are cached under target/ha-vm/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
HADNS=$(realpath "${1:-$here/../../target/vm/hadns}")
[ -x "$HADNS" ] || { echo "lab2: no hadns binary at $HADNS" >&2; exit 2; }
for program in qemu-system-x86_64 busybox depmod cpio ipvsadm keepalived; do
  command -v "$program" >/dev/null || [ -x "/usr/sbin/$program" ] ||
    { echo "lab2: $program is missing (scripts/test installs it)" >&2; exit 2; }
done
out=$(realpath -m "$here/../../target/ha-vm")
"$here/vm/build.sh" "$out"

console=$(mktemp /tmp/hadns-lab2.XXXXXX)
# Bounded: the whole run must end within 10 minutes.
timeout 600 qemu-system-x86_64 -accel tcg -cpu max -m 1536 -smp "$(nproc)" -nic none \
  -kernel "$out/vmlinuz" -initrd "$out/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 hadns_run=$here/vm/inside.sh hadns_arg=$HADNS" \
  -nographic -no-reboot \
  -virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
  </dev/null 2>&1 | tr -d '\r' | tee "$console" | grep --line-buffered -E "^(lab1|lab2|MEASURE|HADNS-VM|ipvsadm|IP Virtual|Prot|  ->|UDP|TCP)" || true
status=$(sed -n 's/^HADNS-VM: exit \([0-9]*\).*/\1/p' "$console" | tail -n 1)
if [ "$status" != 0 ]; then
  echo "lab2: FAILED (VM exit status ${status:-none}); console tail:" >&2
  tail -n 60 "$console" >&2
  echo "lab2: the whole console is in $console" >&2
  exit 1
fi
rm -f "$console"
echo "lab2: passed"
