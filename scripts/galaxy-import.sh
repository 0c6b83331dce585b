#!/usr/bin/env bash
# Build the collection artifact and run Galaxy's importer on it, offline.
# Fails on any importer error. Usage: scripts/galaxy-import.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.cache/dist}
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build --output-path "$out" . >/dev/null
artifact=$(realpath "$out"/zkops-zookeeper-*.tar.gz)
log="$(realpath "$out")/importer.log"
# The importer writes importer_result.json into its working directory: keep it in $out.
(cd "$out" && GALAXY_IMPORTER_CONFIG="$OLDPWD/.config/galaxy-importer.cfg" python -m galaxy_importer.main "$artifact") >"$log" 2>&1 || {
  cat "$log"; echo "galaxy-importer failed on $artifact" >&2; exit 1; }
if grep -Eq '^(ERROR|CRITICAL)|ImporterError' "$log"; then
  grep -E 'ERROR|CRITICAL|ImporterError' "$log"; echo "galaxy-importer reported errors on $artifact" >&2; exit 1
fi
grep -E 'WARNING' "$log" || true
echo "galaxy-importer: $artifact imports with 0 errors"
