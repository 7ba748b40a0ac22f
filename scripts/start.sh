#!/usr/bin/env bash
# Installs whatever is missing (system packages, npm packages, crates), builds the UI and opens Mailgrant.
# Arguments are passed to the app (e.g. `scripts/start.sh --help`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh build
(cd ui && npm run --silent build)
exec cargo run --quiet -p mailgrant -- "$@"
