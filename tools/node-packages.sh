#!/usr/bin/env bash
# Installs the Debian packages a real test node needs (containerd, runc, CNI
# plugins, iptables, nsenter) and the image tools (buildah, podman,
# debootstrap). Idempotent: does nothing when every command is present.
set -euo pipefail
need=()
for pair in containerd:containerd ctr:containerd runc:runc /usr/lib/cni/bridge:containernetworking-plugins \
  iptables:iptables nsenter:util-linux buildah:buildah podman:podman debootstrap:debootstrap; do
  cmd=${pair%%:*} pkg=${pair#*:}
  if [ "${cmd#/}" != "$cmd" ]; then [ -e "$cmd" ] || need+=("$pkg"); else command -v "$cmd" >/dev/null || need+=("$pkg"); fi
done
[ ${#need[@]} -eq 0 ] && exit 0
echo "node-packages: installing ${need[*]} from Debian" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
