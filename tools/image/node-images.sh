#!/usr/bin/env bash
# Builds the images the test nodes run, as docker-archive tars that the
# harness imports into each node's containerd (no registry is reachable):
#   pause.tar  localhost/maie-pause:1  the pod sandbox (tools/gobin/pause, static Go)
#   maie.tar   localhost/maie:dev      this repository's Dockerfile (tools/image/build-local.sh)
# Each is rebuilt only when its inputs change (a content hash in a stamp file).
# Prints the directory holding both. Usage: tools/image/node-images.sh [--help]
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
cache=${MAIE_CACHE:-$HOME/.cache/maie}
out="$cache/images"
mkdir -p "$out"
exec 9>"$out/.lock"
flock 9
say() { echo "node-images: $*" >&2; }

tools/build-binaries.sh pause
pause_sum=$(sha256sum "$cache/bin/pause" | cut -c1-16)
if [ -f "$out/pause.tar" ] && [ "$(cat "$out/.pause.stamp" 2>/dev/null)" = "$pause_sum" ]; then
  say "pause image is cached ($out/pause.tar)"
else
  say "building the pause image"
  ctr=$(buildah from scratch)
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  buildah copy "$ctr" "$cache/bin/pause" /pause >/dev/null
  buildah config --entrypoint '["/pause"]' --user 65535:65535 "$ctr"
  buildah commit --rm "$ctr" localhost/maie-pause:1 >/dev/null
  trap - EXIT
  rm -f "$out/pause.tar.tmp"
  buildah push localhost/maie-pause:1 "docker-archive:$out/pause.tar.tmp:localhost/maie-pause:1" >/dev/null
  mv "$out/pause.tar.tmp" "$out/pause.tar"
  echo "$pause_sum" >"$out/.pause.stamp"
fi

# Everything the Dockerfile copies, plus the Dockerfile and the base-image script.
maie_sum=$( (git ls-files -s Dockerfile .dockerignore package.json package-lock.json tsconfig.json tools/build-wasm.js src tools/image/build-local.sh; git diff HEAD -- Dockerfile package.json package-lock.json tsconfig.json tools/build-wasm.js src) | sha256sum | cut -c1-16)
if [ -f "$out/maie.tar" ] && [ "$(cat "$out/.maie.stamp" 2>/dev/null)" = "$maie_sum" ]; then
  say "maie image is cached ($out/maie.tar)"
else
  say "building the maie image from ./Dockerfile (cold: several minutes)"
  tools/image/build-local.sh --tag localhost/maie:dev --archive "$out/maie.tar" --no-run
  echo "$maie_sum" >"$out/.maie.stamp"
fi
echo "$out"
