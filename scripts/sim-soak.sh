#!/usr/bin/env bash
# Runs the consensus simulator over seed ranges far beyond ctest's (a soak, not a test: minutes
# to hours on 2 cores). Any failing seed is printed with the command that replays it.
#
# Usage: scripts/sim-soak.sh [FIRST_SEED (1001)] [SEEDS_N4 (2000)] [SEEDS_N7 (400)]
#        scripts/sim-soak.sh --reconfigure [FIRST_SEED (1001)] [SEEDS_N4 (2000)] [SEEDS_N7 (400)]
#        scripts/sim-soak.sh --twins [FIRST_SEED (1)] [SEEDS_N4 (2000)] [SEEDS_N7 (1000)]
#                            [SEEDS_N10 (600)]
#
# --twins runs Twins (tools/sim/README.md) with the Byzantine behaviours drawn per seed, each
# n's seeds split evenly over its configurations (twinned plus Byzantine validators = f, and
# fewer twins beside Byzantine validators):
#   n = 4: --twins 1;  n = 7: --twins 1 --byzantine 1, --twins 2;
#   n = 10: --twins 1 --byzantine 2, --twins 2 --byzantine 1, --twins 3.
# The ranges run in chunks of CHUNK seeds (500), JOBS at a time (2), each chunk's JSON summary
# kept in OUT (/tmp/sharechain-soak-twins); a chunk already there is not run again, so an
# interrupted soak resumes where it stopped. The report sums the chunks per configuration.
# For a long soak beside other work: nice -n 10 scripts/sim-soak.sh --twins 1 50000 30000 21000
set -euo pipefail
cd "$(dirname "$0")/.."
SIM=${SIM:-build/tools/sim/sharechain-sim}
[ -x "$SIM" ] || scripts/build.sh

# --reconfigure: the same ranges with validator-set changes in every seed (a validator joins,
# the Byzantine one is removed, an honest key is rotated).
EXTRA=()
if [ "${1:-}" = "--reconfigure" ]; then
  EXTRA=(--reconfigure)
  shift
fi

if [ "${1:-}" != "--twins" ]; then
  FIRST=${1:-1001}
  N4=${2:-2000}
  N7=${3:-400}
  # Both ranges run at once, one per core; each prints its own summary line.
  "$SIM" --nodes 4 --byzantine 1 "${EXTRA[@]}" --seeds "$FIRST:$N4" > /tmp/sharechain-soak-n4.txt 2>&1 & p4=$!
  "$SIM" --nodes 7 --byzantine 2 "${EXTRA[@]}" --seeds "$FIRST:$N7" > /tmp/sharechain-soak-n7.txt 2>&1 & p7=$!
  rc=0
  wait "$p4" || rc=1
  wait "$p7" || rc=1
  cat /tmp/sharechain-soak-n4.txt /tmp/sharechain-soak-n7.txt
  exit "$rc"
fi

shift
FIRST=${1:-1}
declare -A SEEDS=([4]=${2:-2000} [7]=${3:-1000} [10]=${4:-600})
CHUNK=${CHUNK:-500}
JOBS=${JOBS:-2}
OUT=${OUT:-/tmp/sharechain-soak-twins}
command -v jq >/dev/null || { echo "the report needs jq" >&2; exit 2; }
mkdir -p "$OUT"

CONFIGS=("4|--twins 1"
         "7|--twins 1 --byzantine 1" "7|--twins 2"
         "10|--twins 1 --byzantine 2" "10|--twins 2 --byzantine 1" "10|--twins 3")

# A configuration's file names: n4-twins1, n7-twins1-byzantine1, ...
label() { echo "n$1$(echo " $2" | sed 's/ --\([a-z]*\) \([0-9]*\)/-\1\2/g')"; }

run_chunk() {  # nodes, args, first seed, count, output file
  local tmp="$5.part"
  # sharechain-sim exits 1 when a seed fails; the JSON says which, and the report counts it.
  "$SIM" --nodes "$1" $2 --seeds "$3:$4" --json > "$tmp" 2> "$5.err" || true
  if jq -e .seeds "$tmp" > /dev/null 2>&1; then
    mv "$tmp" "$5"
    rm -f "$5.err"
  else
    echo "chunk $5 did not finish: $(head -c 300 "$5.err")" >&2
  fi
}

# Every configuration advances together, chunk by chunk, so a bug that one of them finds shows
# early however long the soak.
chunks=()
for config in "${CONFIGS[@]}"; do
  nodes=${config%%|*}
  same_n=0
  for c in "${CONFIGS[@]}"; do [ "${c%%|*}" = "$nodes" ] && same_n=$((same_n + 1)); done
  total=$(( (SEEDS[$nodes] + same_n - 1) / same_n ))
  for ((first = FIRST; first < FIRST + total; first += CHUNK)); do
    count=$(( FIRST + total - first < CHUNK ? FIRST + total - first : CHUNK ))
    chunks+=("$((first - FIRST))|$config|$first|$count")
  done
done
started=$(date +%s)
running=0
while IFS='|' read -r _ nodes args first count; do
  file="$OUT/$(label "$nodes" "$args")-$first-$count.json"
  [ -s "$file" ] && continue
  if [ "$running" -ge "$JOBS" ]; then
    wait -n || true
    running=$((running - 1))
  fi
  run_chunk "$nodes" "$args" "$first" "$count" "$file" &
  running=$((running + 1))
done < <(printf '%s\n' "${chunks[@]}" | sort -t'|' -k1,1n -s)
wait || true
elapsed=$(( $(date +%s) - started ))

printf '%-28s %8s %7s %9s %12s %10s %9s %11s %10s\n' configuration seeds failed blocks \
  view_changes new_views crashes evidence wall_s
rc=0
for config in "${CONFIGS[@]}"; do
  nodes=${config%%|*}
  name=$(label "$nodes" "${config#*|}")
  files=("$OUT/$name"-*.json)
  [ -e "${files[0]}" ] || continue
  jq -s -r --arg name "$name" '
    [$name, (map(.seeds) | add), (map(.failed) | add), (map(.blocks) | add),
     (map(.view_changes) | add), (map(.new_views) | add), (map(.crashes) | add),
     (map(.evidence) | add), (map(.wall_seconds) | add | floor)] | @tsv' "${files[@]}" |
    awk -F'\t' '{ printf "%-28s %8d %7d %9d %12d %10d %9d %11d %10d\n", $1,$2,$3,$4,$5,$6,$7,$8,$9 }'
  if [ "$(jq -s 'map(.failed) | add' "${files[@]}")" != 0 ]; then
    rc=1
    jq -r '.failures[] | "FAIL seed \(.seed): \(.violation)\n  replay: \(.replay)"' "${files[@]}"
  fi
done
echo "this invocation: ${elapsed} s; wall_s sums each chunk's own time (JOBS=$JOBS at once)"
exit "$rc"
