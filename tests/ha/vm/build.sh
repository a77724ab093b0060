#!/usr/bin/env bash
# Builds what Lab 2 boots, cached under OUT (default target/ha-vm): Debian's
# own kernel, which has IPVS as modules (this machine's kernel has none),
# and a small initramfs: busybox, the modules to mount the host's root over
# 9p with a tmpfs overlay, and IPVS, veth and bridge for the lab. Inside,
# the VM chroots into the host's userland (hadns, keepalived, ipvsadm, dig)
# and runs the command given on the kernel command line.
#
#   tests/ha/vm/build.sh [OUT]   → OUT/vmlinuz, OUT/initrd.gz
#
# Needs: apt-get (download only), dpkg-deb, depmod/modprobe (kmod),
# busybox (busybox-static), cpio, gzip. Downloads ~70 MB once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../../../target/ha-vm}")
mkdir -p "$out"
cd "$out"

package=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1)
[ -n "$package" ] || { echo "vm/build: no linux-image package (apt-get update?)" >&2; exit 1; }
version=${package#linux-image-}
stamp="$package $(cat "$here/init" "$0" | sha256sum | cut -c1-16)"
if [ -f stamp ] && [ "$(cat stamp)" = "$stamp" ] && [ -f vmlinuz ] && [ -f initrd.gz ]; then
  exit 0
fi

if [ ! -d "root/lib/modules/$version" ]; then
  rm -rf root ./*.deb
  # apt's sandbox user cannot write here; the download is a plain file.
  apt-get download -o APT::Sandbox::User=root "$package" >/dev/null
  dpkg-deb -x ./"$package"_*.deb root
  rm -f ./*.deb
  depmod -b root "$version"
fi
cp "root/boot/vmlinuz-$version" vmlinuz

modules=(virtio_pci 9pnet_virtio 9p overlay veth bridge ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh nf_tables)
rm -rf initramfs
mkdir -p initramfs/{bin,dev,proc,sys,host,mnt,modules}
busybox=$(command -v busybox)
if ldd "$busybox" >/dev/null 2>&1; then
  echo "vm/build: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi
cp "$busybox" initramfs/bin/busybox
for applet in sh mount umount insmod mkdir chroot cat sleep poweroff switch_root echo; do
  ln -s busybox "initramfs/bin/$applet"
done
: >initramfs/modules/order
for module in "${modules[@]}"; do
  modprobe -d root -S "$version" --show-depends "$module" | while read -r verb path _; do
    [ "$verb" = insmod ] || continue
    name=$(basename "$path")
    if [ ! -f "initramfs/modules/$name" ]; then
      cp "$path" "initramfs/modules/$name"
      echo "$name" >>initramfs/modules/order
    fi
  done
done
cp "$here/init" initramfs/init
chmod +x initramfs/init
(cd initramfs && find . | cpio -o -H newc --quiet | gzip -1) >initrd.gz
echo "$stamp" >stamp
echo "vm/build: $out/vmlinuz and initrd.gz ($package, ${#modules[@]} modules and their dependencies)"
