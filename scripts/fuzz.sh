#!/usr/bin/env bash
# Fuzzes every target for a bounded time (seconds per target, default 60):
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs the nightly toolchain and cargo-fuzz (installed here if missing).
# A finding is saved under fuzz/artifacts/TARGET/; once fixed, copy it to
# fuzz/regressions/TARGET/ so `cargo test` replays it for good.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(verify_bytes verify_mutated case_parser upload_sniff)
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    echo "== $target for ${seconds}s"
    # -malloc_limit_mb catches an allocation out of proportion to the input,
    # -timeout a hang, -rss_limit_mb memory that grows without bound.
    cargo +nightly fuzz run -O --fuzz-dir fuzz "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 -max_len=262144 \
        -print_final_stats=1
done
