#!/usr/bin/env bash
# Runs inside the Lab 2 VM (see vm/init): Lab 1's topology and scenarios
# with keepalived's real LVS (IPVS) in place of the nft stand-in. $1 is the
# hadns binary.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "lab2: kernel $(uname -r), $(nproc) CPUs"
BALANCER=ipvs bash "$here/../lab1.sh" "$1"
