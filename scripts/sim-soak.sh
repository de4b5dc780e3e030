#!/usr/bin/env bash
# Runs the consensus simulator over seed ranges far beyond ctest's (a soak, not a test: minutes
# to tens of minutes on 2 cores). Any failing seed is printed with the command that replays it.
# Usage: scripts/sim-soak.sh [FIRST_SEED (1001)] [SEEDS_N4 (2000)] [SEEDS_N7 (400)]
set -euo pipefail
cd "$(dirname "$0")/.."
FIRST=${1:-1001}
N4=${2:-2000}
N7=${3:-400}
SIM=${SIM:-build/tools/sim/sharechain-sim}
[ -x "$SIM" ] || scripts/build.sh
# Both ranges run at once, one per core; each prints its own summary line.
"$SIM" --nodes 4 --byzantine 1 --seeds "$FIRST:$N4" > /tmp/sharechain-soak-n4.txt 2>&1 & p4=$!
"$SIM" --nodes 7 --byzantine 2 --seeds "$FIRST:$N7" > /tmp/sharechain-soak-n7.txt 2>&1 & p7=$!
rc=0
wait "$p4" || rc=1
wait "$p7" || rc=1
cat /tmp/sharechain-soak-n4.txt /tmp/sharechain-soak-n7.txt
exit "$rc"
