#!/usr/bin/env bash
# The domain crates stay synchronous and IO-free: none of these may appear in their dependency tree.
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(tokio|sqlx|redis|axum|reqwest|hyper|mio) '
status=0
for crate in sift-core sift-indicators sift-rules sift-engine sift-sim; do
  [ -d "crates/$crate" ] || continue
  found=$(cargo tree -p "$crate" -e normal --prefix none --format '{p}' | sort -u | grep -E "$forbidden" || true)
  if [ -n "$found" ]; then
    echo "$crate must stay pure but depends on: $found" >&2
    status=1
  fi
done
# No clock reads, sleeping, files or sockets in their sources either (tests and benches aside).
clock='(SystemTime|Instant|Utc|Local)::now|thread::sleep|std::(fs|net)::'
for crate in sift-core sift-indicators sift-rules sift-engine sift-sim; do
  [ -d "crates/$crate/src" ] || continue
  if grep -rnE "$clock" "crates/$crate/src"; then
    echo "$crate must not read the clock, sleep or do IO" >&2
    status=1
  fi
done
exit $status
