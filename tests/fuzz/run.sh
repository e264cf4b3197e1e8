#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz/ and runs each for
# SECONDS (default 60) on a scratch copy of its seed corpus, plus any inputs
# under tests/fuzz/regressions/<target>/. Prints one line per target and
# exits non-zero if any target crashed; crash inputs are kept under
# build-fuzz/crashes/<target>/.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-60}"
shift || true
case "$seconds" in
  '' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

# libFuzzer comes with Debian's clang and its runtime; the rest of the
# project's dependencies come from the shared install script.
bash packaging/install-deps.sh >/dev/null
if ! command -v clang++ >/dev/null || ! dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev >/dev/null
fi

build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  # fuzzer-no-link instruments the libraries for coverage; each fuzz
  # executable adds -fsanitize=fuzzer itself (tests/fuzz/meson.build).
  CXX=clang++ CC=clang meson setup "$build" -Dfuzzing=true -Dtests=disabled -Db_lundef=false \
    "-Dcpp_args=['-fsanitize=fuzzer-no-link,address,undefined', '-fno-sanitize-recover=undefined']" \
    "-Dcpp_link_args=['-fsanitize=address,undefined']"
fi
meson compile -C "$build" -j 2 fuzzers >"$build/fuzz-build.log" 2>&1 || {
  tail -n 40 "$build/fuzz-build.log" >&2
  echo "fuzz: build failed (full log: $build/fuzz-build.log)" >&2
  exit 2
}

if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for bin in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets were built (is CXX clang++?)" >&2
  exit 2
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
mkdir -p "$build/fuzz-logs"
printf '%-20s %12s %10s %16s %8s\n' target executions new-inputs coverage crashes
failed=0
for t in "${targets[@]}"; do
  bin="$build/tests/fuzz/fuzz_$t"
  work="$build/corpus/$t"
  crashes="$build/crashes/$t"
  log="$build/fuzz-logs/$t.log"
  # Fuzz a scratch copy: the committed seeds never grow.
  rm -rf "$work"
  mkdir -p "$work" "$crashes"
  cp tests/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  dirs=("$work")
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  args=(-max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$crashes/")
  [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
  rc=0
  "$bin" "${args[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
  cov_start=$(grep -m 1 -oE '(INITED|DONE) +cov: [0-9]+' "$log" | grep -oE '[0-9]+$' || true)
  cov_end=$(grep -oE ' cov: [0-9]+' "$log" | tail -n 1 | grep -oE '[0-9]+' || true)
  found=$(find "$crashes" -type f | wc -l)
  if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then found="rc=$rc"; fi
  printf '%-20s %12s %10s %16s %8s\n' "$t" "${execs:-?}" "${added:-?}" "${cov_start:-?}->${cov_end:-?}" "$found"
  if [ "$rc" -ne 0 ] || [ "$found" != 0 ]; then
    failed=1
    echo "  crash: $(find "$crashes" -type f | head -n 3 | tr '\n' ' ')log: $log" >&2
    grep -m 1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/  /' >&2 || true
  fi
done
exit $failed
