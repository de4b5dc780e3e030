#!/usr/bin/env bash
# Fuzzes every decoder that reads outside bytes (docs/reliability.md, Fuzzing): builds the libFuzzer targets
# of tests/fuzz with clang, AddressSanitizer and UBSan into build-fuzz/, then runs each target
# for S seconds over a working copy of its corpus, one target at a time, and prints one line per
# target. A crash leaves its reproducer under build-fuzz/fuzz-work/<target>/artifacts/ and the
# script prints the commands that replay it.
#
# Usage: scripts/fuzz.sh [--seconds S] [TARGET...]   every target (or those named) for S seconds (60)
#        scripts/fuzz.sh --list                       the target names, one per line
#        scripts/fuzz.sh --build-only [TARGET...]     build, do not run
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_WORK_DIR (<build>/fuzz-work), JOBS (build jobs),
#              FUZZ_ARGS (extra libFuzzer flags, e.g. "-dict=..." or "-max_len=8192").
# Exit status: 0 when no target crashed, 1 when one did, 2 on a usage or build error.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets() { grep -E '^[a-z_]+$' tests/fuzz/targets.txt; }

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

seconds=60
build_only=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --list) all_targets; exit 0 ;;
    --seconds) [ $# -ge 2 ] || { usage >&2; exit 2; }; seconds=$2; shift 2 ;;
    --seconds=*) seconds=${1#--seconds=}; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: --seconds wants a whole number of seconds, got '$seconds'" >&2
  exit 2
fi
known=$(all_targets)
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(all_targets)
fi
for t in "${targets[@]}"; do
  if ! grep -qx "$t" <<<"$known"; then
    echo "fuzz.sh: no target '$t' (scripts/fuzz.sh --list names them)" >&2
    exit 2
  fi
done

# clang and its sanitizer and libFuzzer runtimes come from Debian; the libraries the project
# builds with are the ones scripts/install-deps.sh installs. Both skip what is present.
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "fuzz.sh: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
scripts/install-deps.sh >/dev/null

BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
WORK_DIR=${FUZZ_WORK_DIR:-$BUILD_DIR/fuzz-work}
export CCACHE_BASEDIR="$PWD"
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DSC_FUZZ=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
if ! ninja -C "$BUILD_DIR" -j"${JOBS:-$(nproc)}" "${build_targets[@]}"; then
  echo "fuzz.sh: the build failed" >&2
  exit 2
fi
[ "$build_only" -eq 1 ] && exit 0

# The scratch folder the targets keep their files and stores in (tests/fuzz/support/scratch.hpp);
# removed after each target, also when it crashed.
scratch_base=$(mktemp -d "${TMPDIR:-/tmp}/sc-fuzz-run.XXXXXX")
if [ -d /dev/shm ]; then
  rmdir "$scratch_base"
  scratch_base=$(mktemp -d /dev/shm/sc-fuzz-run.XXXXXX)
fi
trap 'rm -rf "$scratch_base"' EXIT

crashed=0
for t in "${targets[@]}"; do
  dir="$WORK_DIR/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # The working copy: the committed seeds plus whatever earlier runs found.
  cp -n tests/fuzz/corpus/"$t"/* "$dir/corpus/" 2>/dev/null || true
  marker="$dir/.started"
  touch "$marker"
  log="$dir/last.log"
  status=0
  # The shell's own `time` gives the CPU the run used (the machine may be shared: wall-clock
  # seconds say little about how much fuzzing a target got).
  TIMEFORMAT='%U %S'
  { time SC_FUZZ_SCRATCH="$scratch_base" \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
      "$BUILD_DIR/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout=30 -rss_limit_mb=2560 -artifact_prefix="$dir/artifacts/" ${FUZZ_ARGS:-} \
        "$dir/corpus" >"$log" 2>&1 || status=$?; } 2>"$dir/cpu"
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$dir/cpu")
  echo "$(date -u +%FT%TZ) $t wall=${seconds}s cpu=${cpu}s" >>"$WORK_DIR/cpu.log"
  rm -rf "${scratch_base:?}"/*

  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  added=$(grep -o 'stat::new_units_added: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  mapfile -t found < <(find "$dir/artifacts" -type f -newer "$marker" | sort)
  printf '%-14s %10s execs  %6s new units  cov %6s  ft %7s  %d crashes  (%ss, %ss CPU, log %s)\n' \
    "$t" "${execs:-?}" "${added:-?}" "${cov:-?}" "${ft:-?}" "${#found[@]}" "$seconds" "$cpu" "$log"
  if [ ${#found[@]} -gt 0 ] || { [ "$status" -ne 0 ] && [ -z "$execs" ]; }; then
    crashed=1
    if [ ${#found[@]} -eq 0 ]; then
      echo "  the target stopped with status $status before fuzzing: see $log"
    fi
    for f in "${found[@]}"; do
      echo "  reproducer: $f"
      echo "    replay with ASan+UBSan: $BUILD_DIR/tests/fuzz/fuzz_$t $f"
      echo "    replay in the normal build: build/tests/fuzz/fuzz_$t $f"
    done
  fi
done
exit "$crashed"
