#!/usr/bin/env bash
# Prepare a Docker engine and the Debian base images that Molecule uses.
# Idempotent: each step is skipped when its result already exists.
#   - installs docker.io and debootstrap when missing
#   - starts dockerd when no engine answers
#   - builds zkops/debian:12 and zkops/debian:13 with debootstrap + docker import
#   - bakes zkops/debian:12-zk and :13-zk from them: the packages the role installs on Debian
#     (Java, ZooKeeper, kazoo, firewalld not enabled), for the scenarios that test what comes after
#     the install (ZKOPS_IMAGE_SUFFIX=-zk in their molecule.yml); the others start bare
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
  # The image is labelled with its package list: a list that changed bakes it again.
  if [ "$(docker image inspect -f '{{ index .Config.Labels "zkops.baked" }}' "$tag" 2>/dev/null)" = "$BAKED_PACKAGES" ]; then
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

# The packages the role installs on Debian (roles/zookeeper/vars/Debian.yml, and firewalld where the
# role manages it), installed as the role installs them (no recommended packages). Apt downloads go
# to the same cache volume as the scenarios' first member, not into the image.
BAKED_PACKAGES="default-jre-headless zookeeper python3-kazoo python3-prometheus-client firewalld"
bake_image() {
  local release=$1 base="zkops/debian:$1" tag="zkops/debian:$1-zk" name="zkops-bake-$1"
  # The image is labelled with its package list: a list that changed bakes it again.
  if [ "$(docker image inspect -f '{{ index .Config.Labels "zkops.baked" }}' "$tag" 2>/dev/null)" = "$BAKED_PACKAGES" ]; then
    log "$tag already present"
    return
  fi
  log "baking $tag: $base with $BAKED_PACKAGES"
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run --name "$name" -v "zkops-apt-$release-1:/var/cache/apt/archives" -e DEBIAN_FRONTEND=noninteractive \
    "$base" bash -c "set -e; apt-get update -qq; apt-get install -y -qq --no-install-recommends $BAKED_PACKAGES >/dev/null
      # Installed, not enabled: where the role manages firewalld it enables and starts it, as on a real host.
      rm -f /etc/systemd/system/multi-user.target.wants/firewalld.service \
        /etc/systemd/system/dbus-org.fedoraproject.FirewallD1.service
      rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin" >"$CACHE_DIR/bake-$release.log" 2>&1 \
    || { tail -30 "$CACHE_DIR/bake-$release.log"; docker rm -f "$name" >/dev/null; exit 1; }
  docker commit -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' -c "LABEL zkops.baked=\"$BAKED_PACKAGES\"" \
    "$name" "$tag" >/dev/null
  docker rm -f "$name" >/dev/null
}

mkdir -p "$CACHE_DIR"
for r in $IMAGES; do build_image "$r"; done
for r in $IMAGES; do bake_image "$r"; done
log "ready: $(docker images --format '{{.Repository}}:{{.Tag}}' zkops/debian | tr '\n' ' ')"
