#!/usr/bin/env bash
# Molecule's dependency step, offline: Galaxy is not reachable, so instead of
# installing we check that the collections the scenarios use are present
# (the `ansible` package from PyPI ships them).
set -euo pipefail
missing=0
for c in ansible.posix community.docker community.crypto; do
  if ! ansible-galaxy collection list "$c" 2>/dev/null | grep -q "^$c "; then
    echo "missing collection $c: pip install -r tests/requirements.txt" >&2
    missing=1
  fi
done
exit $missing
