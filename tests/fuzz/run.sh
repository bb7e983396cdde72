#!/usr/bin/env bash
# Runs every libFuzzer target of a WEFT_FUZZ build for SECONDS each, two at
# a time (two cores), seeded with tests/fuzz/corpus/<target>/. New inputs go
# to <build>/fuzz-work/<target>/ (not the repository); a crash, leak or
# timeout leaves its input in <build>/fuzz-found/ and fails the run. Fix
# the bug, then keep the input in the corpus: the replay test of `make
# test` runs it from then on.
#   tests/fuzz/run.sh <build dir> <seconds>
set -uo pipefail
build=${1:?build dir}
seconds=${2:-60}
here="$(cd "$(dirname "$0")" && pwd)"
found="$build/fuzz-found"
# As the Makefile sets them, for a run by hand too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:suppressions=$here/../sanitizers/ubsan.supp}
mkdir -p "$found"

run_one() {
  local name=$1
  local work="$build/fuzz-work/$name"
  mkdir -p "$work"
  local log="$build/fuzz-work/$name.log"
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$found/$name-" "$work" "$here/corpus/$name" >"$log" 2>&1
  local rc=$?
  local execs
  execs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  if [ $rc -eq 0 ]; then
    echo "fuzz $name: ${execs:-?} runs in ${seconds}s, nothing found"
  else
    echo "fuzz $name: FAILED (exit $rc); the input is in $found/, the log in $log:"
    grep -E 'ERROR|fuzz property failed|SUMMARY|runtime error|Test unit written' "$log" | head -20
  fi
  return $rc
}

targets=()
for f in "$here"/corpus/*/; do targets+=("$(basename "$f")"); done
status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
