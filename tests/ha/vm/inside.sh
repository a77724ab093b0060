#!/usr/bin/env bash
# Runs inside the Lab 2 VM (see vm/init): Lab 1's topology and scenarios
# with keepalived's real LVS (IPVS) in place of the nft stand-in. $1 is the
# hadns binary.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "lab2: kernel $(uname -r), $(nproc) CPUs"
# keepalived runs MISC_CHECK scripts only from paths no other user can
# write (enable_script_security): wherever the host's checkout lives, the
# VM's copy of the binary lives in a root-only directory (the VM's root is
# a tmpfs overlay: nothing reaches the host).
install -m 0755 "$1" /usr/local/sbin/hadns-lab
BALANCER=ipvs bash "$here/../lab1.sh" /usr/local/sbin/hadns-lab
