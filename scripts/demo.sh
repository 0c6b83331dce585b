#!/usr/bin/env bash
# make demo: bring up 3 participants + 1 observer in containers, deploy them
# with the role, and print a table of host, id and mode. Leaves them running.
set -euo pipefail
cd "$(dirname "$0")/.."
molecule create -s demo
molecule converge -s demo
echo
echo "=== ZooKeeper ensemble (host, id, mode)"
for c in demo-zk1 demo-zk2 demo-zk3 demo-zk4; do
  id=$(docker exec "$c" cat /var/lib/zookeeper/myid)
  mode=$(docker exec "$c" bash -lc 'zkServer.sh status 2>/dev/null' | sed -n 's/^Mode: //p')
  printf '%-10s %3s  %s\n' "$c" "$id" "${mode:-not serving}"
done
cat <<'TXT'

The ensemble keeps running. Try:
  docker exec -it demo-zk1 bash -lc 'zkCli.sh -server demo-zk2:2181'
  docker exec demo-zk4 bash -lc 'zkServer.sh status'
Remove it with:
  make demo-destroy
TXT
