#!/usr/bin/env bash
# Replaces the committed snapshot of the RustSec advisory database (.ci/advisory-db) that scripts/test.sh audits
# Cargo.lock against, from a fresh clone of https://github.com/rustsec/advisory-db (needs the network).
#   update-advisory-db.sh            clone from GitHub
#   update-advisory-db.sh SOURCE     clone from another URL or a local copy of the repository
# Keeps only what `cargo audit --no-fetch --db` reads (crates/: one file per advisory) and the licences; cargo-audit
# opens a plain directory that way, no git history needed. Review `git diff --stat .ci/advisory-db` and commit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source=${1:-https://github.com/rustsec/advisory-db}
[ -d "$source" ] && source="file://$(cd "$source" && pwd)"
dest="$root/.ci/advisory-db"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --depth 1 "$source" "$tmp/advisory-db"
commit=$(git -C "$tmp/advisory-db" log -1 --format=%H)
date=$(git -C "$tmp/advisory-db" log -1 --format=%cd --date=short)
count=$(find "$tmp/advisory-db/crates" -type f -name 'RUSTSEC-*.md' | wc -l)

rm -rf "$dest" && mkdir -p "$dest"
cp -R "$tmp/advisory-db/crates" "$tmp/advisory-db/LICENSE.txt" "$tmp/advisory-db/LICENSES" "$dest/"
cat >"$dest/README.md" <<EOF
# RustSec advisory database snapshot

Snapshot date: $date (rustsec/advisory-db commit $commit, $count advisories in crates/).

scripts/test.sh runs \`cargo audit --no-fetch --db .ci/advisory-db\` against it, with the policy in .cargo/audit.toml,
so the test needs no network. Only crates/ and the licences are kept (LICENSE.txt: CC0-1.0, some advisories
CC-BY-4.0). Replace it with scripts/update-advisory-db.sh; do not edit it by hand.
EOF
echo "advisory database snapshot: $date, commit $commit, $count advisories -> ${dest#"$root/"}"
