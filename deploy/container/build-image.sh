#!/usr/bin/env bash
# Builds the ShareChain image (deploy/container/Dockerfile) without pulling from any container
# registry: the Debian 12 base is made on this host by mmdebstrap from Debian's package archive
# (the host's apt sources), imported into podman (or docker) as localhost/sharechain-base:bookworm,
# and both stages of the Dockerfile are built on it. Run from anywhere, as root (or a user who
# may run mmdebstrap and the container engine).
#
# Usage: deploy/container/build-image.sh [--tag TAG] [--engine podman|docker] [--rebuild-base]
#                                        [--base-only] [--no-install]
#   --tag TAG         the image to build (sharechain:latest)
#   --engine E        podman (default when installed) or docker
#   --rebuild-base    make the base again even when the engine already has it
#   --base-only       make and import the base, build nothing
#   --no-install      never call apt-get (otherwise mmdebstrap and podman are installed if missing)
# Exit status: 0 built, 1 a step failed (its output says which), 2 usage.
set -euo pipefail
cd "$(dirname "$0")/../.."

tag=sharechain:latest
engine=""
rebuild=0
base_only=0
install=1
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=${2:?--tag needs a value}; shift 2 ;;
    --engine) engine=${2:?--engine needs podman or docker}; shift 2 ;;
    --rebuild-base) rebuild=1; shift ;;
    --base-only) base_only=1; shift ;;
    --no-install) install=0; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -n "$engine" ] && [ "$engine" != podman ] && [ "$engine" != docker ]; then
  echo "build-image.sh: --engine is podman or docker, not $engine" >&2
  exit 2
fi

log() { printf '== %s\n' "$*"; }

needed=()
command -v mmdebstrap >/dev/null || needed+=(mmdebstrap)
if [ -z "$engine" ]; then
  if command -v podman >/dev/null; then engine=podman
  elif command -v docker >/dev/null; then engine=docker
  else engine=podman; needed+=(podman)
  fi
elif ! command -v "$engine" >/dev/null; then
  [ "$engine" = podman ] && needed+=(podman) || { echo "build-image.sh: docker is not installed" >&2; exit 1; }
fi
if [ ${#needed[@]} -gt 0 ]; then
  [ "$install" -eq 1 ] || { echo "build-image.sh: missing ${needed[*]} (and --no-install)" >&2; exit 1; }
  log "installing ${needed[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${needed[@]}" >/dev/null
fi

base=localhost/sharechain-base:bookworm
if [ "$rebuild" -eq 1 ] || ! "$engine" image inspect "$base" >/dev/null 2>&1; then
  log "making $base with mmdebstrap (Debian 12, minbase) and importing it into $engine"
  tarball=$(mktemp --suffix=.tar)
  trap 'rm -f "$tarball"' EXIT
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$tarball"
  "$engine" import --change 'CMD ["/bin/bash"]' "$tarball" "$base" >/dev/null
  rm -f "$tarball"
fi
if [ "$base_only" -eq 1 ]; then
  log "base ready: $base ($("$engine" image inspect --format '{{.Id}}' "$base" | cut -c1-19))"
  exit 0
fi

# Some hosts (a container inside a sandbox, for one) will not let the OCI runtime set resource
# limits, and RUN steps fail there; buildah's chroot isolation needs none of that.
isolation=()
if [ "$engine" = podman ] && ! podman run --rm "$base" true >/dev/null 2>&1; then
  log "podman cannot start containers here; building with --isolation=chroot"
  isolation=(--isolation=chroot)
fi

log "building $tag on $base with $engine"
"$engine" build "${isolation[@]}" --build-arg BASE="$base" --build-arg RUNTIME_BASE="$base" \
  -f deploy/container/Dockerfile -t "$tag" .
log "built $tag: $("$engine" image inspect --format '{{.Id}}' "$tag" | cut -c1-19)"
