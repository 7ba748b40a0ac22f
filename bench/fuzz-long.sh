#!/usr/bin/env bash
# The parser property tests (src-tauri/core/src/parser_properties.rs) at length: 100,000 cases each (the test
# command runs 2,000). Prints each property's result and the time taken; a failure prints the input that broke it.
#
#   bash bench/fuzz-long.sh [CASES]
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-100000}
start=$(date +%s)
MAILGRANT_FUZZ_CASES=$cases cargo test --quiet --release -p mailgrant-core --lib parser_properties -- --test-threads 2
echo "$cases cases per property, $(($(date +%s) - start)) s"
