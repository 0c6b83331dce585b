#!/usr/bin/env bash
# Install everything `make test` needs, skipping what is already there:
#   - Debian packages for the local test servers (JDK and ZooKeeper's jars)
#   - a virtualenv .venv with tests/requirements.txt
#   - the collection linked at .collections/ansible_collections/zkops/zookeeper
#   - ansible-test's offline pip bootstrap
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { printf '[bootstrap] %s\n' "$*"; }

apt_pkgs=()
command -v java >/dev/null 2>&1 || apt_pkgs+=(default-jre-headless)
[ -f /usr/share/java/zookeeper.jar ] || apt_pkgs+=(zookeeper)
[ -f /usr/share/java/slf4j-simple.jar ] || apt_pkgs+=(libslf4j-java)
python3 -c 'import ensurepip, venv' 2>/dev/null || apt_pkgs+=(python3-venv)
command -v git >/dev/null 2>&1 || apt_pkgs+=(git)
if ((${#apt_pkgs[@]})); then
  log "apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
fi

stamp=.venv/.requirements.sha
want=$(cat requirements.txt tests/requirements.txt | sha256sum | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -r tests/requirements.txt
  echo "$want" >"$stamp"
fi

link=.collections/ansible_collections/zkops/zookeeper
if [ "$(readlink "$link" 2>/dev/null)" != "$ROOT" ]; then
  mkdir -p "$(dirname "$link")"
  ln -sfn "$ROOT" "$link"
fi

getpip="$HOME/.ansible/test/cache/get_pip_24_2.py"
if ! cmp -s scripts/ansible-test-get-pip.py "$getpip"; then
  mkdir -p "$(dirname "$getpip")"
  cp scripts/ansible-test-get-pip.py "$getpip"
fi
# promtool (the alert rules' tests) from Debian's prometheus package, unpacked into .cache: nothing is installed
# or started on this machine.
promtool=.cache/prometheus/usr/bin/promtool
if [ ! -x "$promtool" ]; then
  log "unpacking Debian's prometheus package for promtool"
  mkdir -p .cache/prometheus-deb
  (cd .cache/prometheus-deb && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; }; })
  dpkg -x "$(ls -t .cache/prometheus-deb/prometheus_*.deb | head -1)" .cache/prometheus
fi

log "ready"
