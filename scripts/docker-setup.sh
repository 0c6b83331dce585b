#!/usr/bin/env bash
# Prepare a Docker engine and the Debian base images that Molecule uses.
# Idempotent: each step is skipped when its result already exists.
#   - installs docker.io and debootstrap when missing
#   - starts dockerd when no engine answers
#   - builds zkops/debian:12 and zkops/debian:13 with debootstrap + docker import
# No registry is contacted: images are built from Debian's packages only.
# Set ZKOPS_IMAGES="12" to build only one release.
set -euo pipefail

IMAGES=${ZKOPS_IMAGES:-"12 13"}
CACHE_DIR=${ZKOPS_CACHE_DIR:-/var/cache/zkops}
INCLUDE="python3,systemd,systemd-sysv,dbus,netbase,iproute2,procps,ca-certificates,python3-apt"

log() { printf '[docker-setup] %s\n' "$*"; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/zkops-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { log "dockerd did not start; see /var/log/zkops-dockerd.log"; tail -20 /var/log/zkops-dockerd.log; exit 1; }
fi

codename() {
  case "$1" in
    12) echo bookworm ;;
    13) echo trixie ;;
    *) log "unknown Debian release '$1' (use 12 or 13)"; exit 2 ;;
  esac
}

build_image() {
  local release=$1 suite tag rootfs
  suite=$(codename "$release")
  tag="zkops/debian:${release}"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    log "$tag already present"
    return
  fi
  rootfs=$(mktemp -d "/tmp/zkops-rootfs-${suite}.XXXXXX")
  log "debootstrap $suite into $rootfs"
  debootstrap --variant=minbase --include="$INCLUDE" "$suite" "$rootfs" >"$rootfs.log" 2>&1 \
    || { tail -30 "$rootfs.log"; exit 1; }
  # Keep downloaded .debs: Molecule mounts an apt cache volume, and the
  # docker-clean hook would otherwise empty it after every install.
  rm -f "$rootfs/etc/apt/apt.conf.d/docker-clean"
  echo 'Binary::apt::APT::Keep-Downloaded-Packages "true";' >"$rootfs/etc/apt/apt.conf.d/01keep-debs"
  # systemd in a container: nothing needs a getty or udev.
  rm -f "$rootfs"/etc/systemd/system/getty.target.wants/* 2>/dev/null || true
  # No package lists or caches in the image: hosts run apt-get update first, as real new hosts do.
  rm -rf "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin 2>/dev/null || true
  log "importing $tag"
  tar -C "$rootfs" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    - "$tag" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
}

mkdir -p "$CACHE_DIR"
for r in $IMAGES; do build_image "$r"; done
log "ready: $(docker images --format '{{.Repository}}:{{.Tag}}' zkops/debian | tr '\n' ' ')"
