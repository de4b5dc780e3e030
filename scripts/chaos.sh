#!/usr/bin/env bash
# A live chaos run (docs/chaos.md): starts an N-node cluster in a fresh folder, loads it with
# sharechain-bench and with the acknowledgement ledger (sharechain-chaos ledger), injects one
# fault at a time at random intervals drawn from a printed seed, measures how long the cluster
# and the nodes hit take to recover, then heals everything and checks the chain
# (sharechain-chaos check). Exit 0 when nothing was violated, 1 on any violation, 2 for a usage
# error, 4 when the run itself could not be set up.
#
# Usage: scripts/chaos.sh --nodes N --minutes M
#                         [--faults kill,stop,restart-all,partition,disk-full,clock,overlap]
#                         [--seed S] [--json] [--keep] [--rate TX_PER_S] [--out DIR] [--no-install]
#
# `overlap` is two faults of different classes at once: the second is injected while the first
# is held (a partition during a restart, a kill during a full disk), and each heals on its own
# schedule. Its parts come from the other classes given, or from all six when fewer than two are.
#
# Fault classes that need what this machine does not allow (network namespaces, mounts:
# root for both) are reported and skipped. Everything the run creates (processes, namespaces, a
# bridge, a tmpfs mount) is removed on exit, Ctrl-C and failure included. The run folder keeps
# the seed, the logs, the fault log, the ledger and the reports; a run replays with --seed S.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SIMPLE_FAULTS=kill,stop,restart-all,partition,disk-full,clock
ALL_FAULTS=$SIMPLE_FAULTS,overlap

usage() {
  echo "usage: $0 --nodes N --minutes M [--faults $ALL_FAULTS] [--seed S] [--json] [--keep]" >&2
  echo "          [--rate TX_PER_S] [--out DIR] [--no-install] [--base-port P]" >&2
  exit 2
}

NODES=""
MINUTES=""
FAULTS=$ALL_FAULTS
SEED=""
JSON=0
KEEP=0
RATE=100
OUT_ROOT=${CHAOS_OUT:-/tmp}
INSTALL=1
BASE_PORT=29600  # loopback only; the cluster tests use 28000-28999 and run-local.sh 26600
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) NODES=${2:-}; shift 2 ;;
    --minutes) MINUTES=${2:-}; shift 2 ;;
    --faults) FAULTS=${2:-}; shift 2 ;;
    --seed) SEED=${2:-}; shift 2 ;;
    --json) JSON=1; shift ;;
    --keep) KEEP=1; shift ;;
    --rate) RATE=${2:-}; shift 2 ;;
    --out) OUT_ROOT=${2:-}; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --base-port) BASE_PORT=${2:-}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
is_uint() { case "$1" in ''|*[!0-9]*) return 1 ;; *) return 0 ;; esac; }
is_uint "$NODES" && [ "$NODES" -ge 1 ] && [ "$NODES" -le 20 ] || { echo "--nodes takes 1-20" >&2; usage; }
# Minutes may be fractional (0.5 for a quick look); the fault phase lasts that long.
[[ "$MINUTES" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "--minutes takes a number" >&2; usage; }
RUN_SECONDS=$(awk -v m="$MINUTES" 'BEGIN { printf "%d", m * 60 }')
[ "$RUN_SECONDS" -ge 10 ] || { echo "--minutes must give at least 10 seconds" >&2; usage; }
is_uint "$RATE" || { echo "--rate takes a whole number" >&2; usage; }
is_uint "$BASE_PORT" || { echo "--base-port takes a port" >&2; usage; }
if [ -z "$SEED" ]; then SEED=$(( (RANDOM << 15 | RANDOM) % 1000000 )); fi
is_uint "$SEED" || { echo "--seed takes a whole number" >&2; usage; }
IFS=',' read -r -a REQUESTED <<< "$FAULTS"
for f in "${REQUESTED[@]}"; do
  case ",$ALL_FAULTS," in *",$f,"*) ;; *) echo "unknown fault class '$f' (classes: $ALL_FAULTS)" >&2; usage ;; esac
done

BUILD_DIR=$(cd "${BUILD_DIR:-$ROOT/build}" 2>/dev/null && pwd) || { echo "no build folder: build first (scripts/build.sh) or set BUILD_DIR" >&2; exit 4; }
NET=$BUILD_DIR/tools/net/sharechain-net
BENCH=$BUILD_DIR/tools/bench/sharechain-bench
CHAOS=$BUILD_DIR/tools/chaos/sharechain-chaos
DAEMON=$BUILD_DIR/node/sharechaind
for b in "$NET" "$BENCH" "$CHAOS" "$DAEMON"; do
  [ -x "$b" ] || { echo "missing $b: build first (scripts/build.sh) or set BUILD_DIR" >&2; exit 4; }
done

RUN=$OUT_ROOT/sharechain-chaos-$(date +%Y%m%d-%H%M%S)-seed$SEED
mkdir -p "$RUN"
CL=$RUN/cluster
LOG=$RUN/chaos.log
FAULT_LOG=$RUN/faults.jsonl
LEDGER=$RUN/ledger.jsonl
echo "$SEED" > "$RUN/seed"
REPLAY="scripts/chaos.sh --nodes $NODES --minutes $MINUTES --faults $FAULTS --seed $SEED --rate $RATE"
echo "$REPLAY" > "$RUN/replay"
: > "$FAULT_LOG"

# Progress goes to stdout, or to stderr with --json so stdout holds only the final object; the
# run folder's chaos.log gets all of it.
if [ "$JSON" -eq 1 ]; then exec 3>&2; else exec 3>&1; fi
T0=$(date +%s.%N)
elapsed() { awk -v t0="$T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'; }
say() { printf '[%6ss] %s\n' "$(elapsed)" "$*" | tee -a "$LOG" >&3; }
fail_setup() { say "cannot run: $*"; exit 4; }

# ---------------------------------------------------------------------------------------------
# Cleanup: only what this run created, recorded as it is created.
NS_PREFIX=""
NETNS=()
BRIDGE=""
DISK_MOUNT=""
HELPERS=()  # pids of the ledger, the bench and background probes
forget_helper() {  # forget_helper PID: it was waited for; its pid may be reused from now on
  local kept=() p
  for p in "${HELPERS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  HELPERS=("${kept[@]}")
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  # Only helpers still running as this shell's children: a helper waited for long ago left a
  # pid that another process (a node of a concurrent run) may have by now.
  local live=() p
  for p in "${HELPERS[@]}"; do
    [ "$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')" = "$$" ] && live+=("$p")
  done
  HELPERS=("${live[@]}")
  for p in "${HELPERS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  if [ -d "$CL" ]; then
    for f in "$CL"/node*/sharechaind.pid; do
      [ -f "$f" ] || continue
      local pid; pid=$(cat "$f" 2>/dev/null)
      # Only a process that is one of this cluster's nodes: its command line names our config.
      if [ -n "$pid" ] && { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "--config $CL/"; then
        kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
      fi
    done
  fi
  for p in "${HELPERS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  sleep 0.5
  if [ -n "$DISK_MOUNT" ]; then
    rm -f "$DISK_MOUNT/chaos-filler" "$DISK_MOUNT/chaos-filler-tail"
    # The tmpfs goes with the run; keep a copy of that node's database when the run is kept.
    if [ "$KEEP" -eq 1 ] || [ "$rc" -ne 0 ]; then cp -a "$DISK_MOUNT" "$DISK_MOUNT.tmpfs-copy" 2>/dev/null; fi
    umount "$DISK_MOUNT" 2>/dev/null || umount -l "$DISK_MOUNT" 2>/dev/null
  fi
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [ -n "$BRIDGE" ]; then ip link del "$BRIDGE" 2>/dev/null; fi
  if [ "$KEEP" -eq 0 ] && [ "$rc" -eq 0 ] && [ -d "$CL" ]; then
    # The databases are large; the logs, the ledger and the reports stay.
    rm -rf "$CL"/node*/data "$CL"/node*/data.tmpfs-copy
  fi
  [ -n "${RUN:-}" ] && echo "run folder: $RUN" >&3
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# What this machine allows.
install_packages() {  # install_packages PACKAGE...: those missing, with apt-get, when root
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$INSTALL" -eq 0 ] || [ "$(id -u)" -ne 0 ]; then return 1; fi
  say "installing ${missing[*]} with apt-get"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >> "$RUN/apt.log" 2>&1
}
install_packages jq procps iproute2 || true
command -v jq > /dev/null || fail_setup "jq is missing (apt-get install jq)"

declare -A SKIPPED=()
declare -A ENABLED=()
for f in "${REQUESTED[@]}"; do ENABLED[$f]=1; done
# Overlaps need two classes to combine: with fewer than two others given, every class is set up
# as a possible part of an overlap (none of them is then drawn on its own).
if [ -n "${ENABLED[overlap]:-}" ] && [ "$(printf '%s\n' "${REQUESTED[@]}" | grep -vcx overlap)" -lt 2 ]; then
  IFS=',' read -r -a simple <<< "$SIMPLE_FAULTS"
  for f in "${simple[@]}"; do ENABLED[$f]=1; done
fi
skip() {  # skip CLASS REASON
  if [ -n "${ENABLED[$1]:-}" ]; then
    unset "ENABLED[$1]"
    SKIPPED[$1]=$2
    say "fault class $1 is skipped: $2"
  fi
}

# Network namespaces: one per node, joined by a bridge, so that a partition is a route and the
# nodes' ports never collide with anything else on this machine. Names carry this shell's pid.
setup_network() {
  [ "$(id -u)" -eq 0 ] || { echo "not root"; return 1; }
  command -v ip > /dev/null || { echo "no ip command (iproute2)"; return 1; }
  local id=$(( $$ % 10000 ))
  local prefix="scx$id"
  local octet=$(( id % 200 + 20 ))
  while ip -4 addr show | grep -q "inet 10\.213\.$octet\."; do octet=$(( (octet + 1) % 250 )); done
  local subnet=10.213.$octet
  ip link add "${prefix}br" type bridge || return 1
  BRIDGE=${prefix}br
  ip addr add "$subnet.1/24" dev "$BRIDGE" && ip link set "$BRIDGE" up || return 1
  HOSTS=()
  for i in $(seq 0 $((NODES - 1))); do
    local ns="$prefix-node$i"
    ip netns add "$ns" || return 1
    NETNS+=("$ns")
    ip link add "${prefix}h$i" type veth peer name "${prefix}n$i" || return 1
    ip link set "${prefix}h$i" master "$BRIDGE" up &&
      ip link set "${prefix}n$i" netns "$ns" &&
      ip -n "$ns" addr add "$subnet.$((10 + i))/24" dev "${prefix}n$i" &&
      ip -n "$ns" link set "${prefix}n$i" up &&
      ip -n "$ns" link set lo up || return 1
    HOSTS+=("$subnet.$((10 + i))")
  done
  NS_PREFIX="$prefix-node"
}
teardown_network() {
  local ns
  for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  [ -z "$BRIDGE" ] || ip link del "$BRIDGE" 2>/dev/null || true
  NETNS=()
  BRIDGE=""
  NS_PREFIX=""
}
NETWORK=loopback
if setup_network > "$RUN/network.log" 2>&1; then
  NETWORK=namespaces
else
  teardown_network
  skip partition "no network namespaces here ($(tail -n 1 "$RUN/network.log"))"
fi

# ---------------------------------------------------------------------------------------------
# The cluster.
if [ "$NETWORK" = namespaces ]; then
  "$NET" init --nodes "$NODES" --dir "$CL" --hosts "$(IFS=,; echo "${HOSTS[*]}")" > "$RUN/init.log" 2>&1 ||
    fail_setup "sharechain-net init failed: $(tail -n 3 "$RUN/init.log")"
else
  "$NET" init --nodes "$NODES" --dir "$CL" --base-port "$BASE_PORT" > "$RUN/init.log" 2>&1 ||
    fail_setup "sharechain-net init failed: $(tail -n 3 "$RUN/init.log")"
fi

RANDOM=$SEED  # every draw below comes from the seed, in the same order on a replay
draw() { R=$(( $1 + RANDOM % ($2 - $1 + 1) )); }  # draw LO HI: R is uniform in LO..HI

# One node's data folder lives on a small tmpfs, so that it can be filled.
DISK_NODE=""
if [ -n "${ENABLED[disk-full]:-}" ]; then
  draw 0 $((NODES - 1)); DISK_NODE=$R
  if [ "$(id -u)" -ne 0 ]; then
    skip disk-full "mounting a small filesystem needs root"
  else
    # Room for the node's database over the whole run (it grows about 1 MB per 10 s under this
    # load), so that only the filler, never the chain, fills it.
    DISK_MB=$(( 256 + RUN_SECONDS / 4 ))
    if mount -t tmpfs -o "size=${DISK_MB}m,mode=0700" "chaos-disk" "$CL/node$DISK_NODE/data" 2>> "$RUN/mount.log"; then
      DISK_MOUNT=$CL/node$DISK_NODE/data
    else
      skip disk-full "cannot mount a tmpfs here ($(tail -n 1 "$RUN/mount.log"))"
    fi
  fi
fi

# The daemon wrapper that `sharechain-net start --bin` runs: it starts a node in its namespace.
# Each step execs, so the pid sharechain-net records is the daemon's own.
mkdir -p "$RUN/bin"
# The run keeps its own copy of every program it uses: a rebuild during a long run must not change
# the daemon that nodes restarted later execute, nor the checker that judges the run, and the run
# folder says what ran.
cp "$DAEMON" "$RUN/bin/sharechaind.run"
DAEMON=$RUN/bin/sharechaind.run
for tool in NET BENCH CHAOS; do
  cp "${!tool}" "$RUN/bin/"
  printf -v "$tool" '%s' "$RUN/bin/$(basename "${!tool}")"
done
WRAPPER=$RUN/bin/sharechaind
cat > "$WRAPPER" <<EOF
#!/usr/bin/env bash
set -euo pipefail
config=""; prev=""
for a in "\$@"; do [ "\$prev" = "--config" ] && config=\$a; prev=\$a; done
node_dir=\$(dirname "\$config"); node=\$(basename "\$node_dir")
cmd=("$DAEMON" "\$@")
if [ -n "$NS_PREFIX" ]; then exec ip netns exec "$NS_PREFIX\${node#node}" "\${cmd[@]}"; fi
exec "\${cmd[@]}"
EOF
# A node's wall clock is stepped while it runs: each node reads the offset in its clock-offset
# file ("+0" normally) every second and adds it to every wall-clock reading it makes (block
# timestamps, the engine's time, admission, /metrics); timers run on the steady clock and do not
# see the step (node/wall_clock.hpp).
for i in $(seq 0 $((NODES - 1))); do
  echo "+0" > "$CL/node$i/clock-offset"
  printf '\n[debug]\nclock_offset_file = "clock-offset"\n' >> "$CL/node$i/config.toml"
done
chmod +x "$WRAPPER"

start_nodes() { "$NET" start --dir "$CL" --bin "$WRAPPER" --wait 60 >> "$RUN/start.log" 2>&1; }
pid_of() { cat "$CL/node$1/sharechaind.pid" 2>/dev/null || true; }
node_running() {
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && { tr '\0' ' ' < "/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "--config $CL/node$1/"
}
stop_node() {  # stop_node I: SIGTERM, SIGKILL after 10 s
  local pid; pid=$(pid_of "$1")
  node_running "$1" || return 0
  kill -CONT "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do node_running "$1" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}
heights() { "$CHAOS" heights --dir "$CL" --timeout-ms 1000 2> /dev/null || true; }
max_height() {  # max_height [NODE...]: highest height among the nodes (all by default)
  local hs; read -r -a hs <<< "$(heights)"
  local best=0 i
  local which=("$@"); [ ${#which[@]} -gt 0 ] || which=($(seq 0 $((NODES - 1))))
  for i in "${which[@]}"; do
    local h=${hs[$i]:--}
    [ "$h" != "-" ] && [ "$h" -gt "$best" ] && best=$h
  done
  echo "$best"
}

start_nodes || fail_setup "the cluster did not start: $(tail -n 5 "$RUN/start.log")"
ADDRS=$(for i in $(seq 0 $((NODES - 1))); do grep -m1 '^listen' "$CL/node$i/config.toml" | cut -d'"' -f2; done | paste -sd,)
# The classes an overlap combines: every single class this machine allows that was given, or
# all of them (see above).
PARTS=()
IFS=',' read -r -a simple <<< "$SIMPLE_FAULTS"
for f in "${simple[@]}"; do [ -n "${ENABLED[$f]:-}" ] && PARTS+=("$f"); done
[ ${#PARTS[@]} -ge 2 ] || skip overlap "it needs two fault classes this machine allows (${PARTS[*]:-none} here)"
ENABLED_LIST=$(for f in "${REQUESTED[@]}"; do [ -n "${ENABLED[$f]:-}" ] && echo "$f"; done | paste -sd, || true)
say "seed $SEED; $NODES nodes on $NETWORK ($ADDRS); faults: ${ENABLED_LIST:-none}; ${MINUTES} min; run folder $RUN"
[ -n "$DISK_NODE" ] && [ -n "$DISK_MOUNT" ] && say "node$DISK_NODE keeps its data on a ${DISK_MB} MB tmpfs (the disk-full target)"

# ---------------------------------------------------------------------------------------------
# Load: the bench over every node, and the acknowledgement ledger.
nice -n 5 "$BENCH" --nodes "$ADDRS" --keystore "$CL/keystore" --passphrase-file "$CL/passphrase" \
  --funder user1 --accounts 32 --rate "$RATE" --duration "$RUN_SECONDS" --verify-seconds 0.2 \
  --json > "$RUN/bench.json" 2> "$RUN/bench.log" &
BENCH_PID=$!
HELPERS+=("$BENCH_PID")
nice -n 5 "$CHAOS" ledger --dir "$CL" --out "$LEDGER" --seed "$SEED" --funder user2 > /dev/null 2> "$RUN/ledger.log" &
LEDGER_PID=$!
HELPERS+=("$LEDGER_PID")
# Blocks are cut only when there are transactions: the load's first transfers make the first.
"$CHAOS" await --dir "$CL" --nodes "$(seq -s, 0 $((NODES - 1)))" --height 2 --timeout 120 > /dev/null ||
  fail_setup "the nodes did not commit their first blocks within 120 s (logs in $CL/node*/node.log)"
say "load: sharechain-bench at $RATE tx/s over all nodes; acknowledgement ledger (4 senders) into $LEDGER"

# ---------------------------------------------------------------------------------------------
# Faults. One at a time: inject, hold, heal, measure; then a random pause.
F=$(( (NODES - 1) / 3 ))
QUORUM=$(( 2 * F + 1 ))
CLASSES=()
for f in "${REQUESTED[@]}"; do [ -n "${ENABLED[$f]:-}" ] && CLASSES+=("$f"); done
PARTITIONED=()  # "nsA ip" pairs currently blackholed

partition() {  # partition GROUP_CSV: blackholes between the group and the rest, both ways
  local -a group rest
  IFS=',' read -r -a group <<< "$1"
  for j in $(seq 0 $((NODES - 1))); do [[ ",$1," == *",$j,"* ]] || rest+=("$j"); done
  for g in "${group[@]}"; do
    for r in "${rest[@]}"; do
      ip -n "${NS_PREFIX}$g" route add blackhole "${HOSTS[$r]}/32" && PARTITIONED+=("${NS_PREFIX}$g ${HOSTS[$r]}")
      ip -n "${NS_PREFIX}$r" route add blackhole "${HOSTS[$g]}/32" && PARTITIONED+=("${NS_PREFIX}$r ${HOSTS[$g]}")
    done
  done
}
heal_partition() {
  local p
  for p in "${PARTITIONED[@]}"; do
    read -r ns ip <<< "$p"
    ip -n "$ns" route del blackhole "$ip/32" 2>/dev/null || true
  done
  PARTITIONED=()
}
fill_disk() {  # fills the tmpfs to the last page
  dd if=/dev/zero of="$DISK_MOUNT/chaos-filler" bs=1M 2>/dev/null || true
  dd if=/dev/zero of="$DISK_MOUNT/chaos-filler-tail" bs=4k 2>/dev/null || true
}
free_disk() { rm -f "$DISK_MOUNT/chaos-filler" "$DISK_MOUNT/chaos-filler-tail"; }

# Makes sure nothing of a fault remains: every node running, continued, on the real clock, on a
# full network and a free disk.
heal_all() {
  heal_partition
  [ -n "$DISK_MOUNT" ] && free_disk
  for i in $(seq 0 $((NODES - 1))); do
    echo "+0" > "$CL/node$i/clock-offset"
    local pid; pid=$(pid_of "$i")
    [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null || true
  done
  start_nodes || say "restarting nodes failed: $(tail -n 3 "$RUN/start.log")"
}

snapshot_restores() {  # how many times node I has restored a state snapshot
  local c; c=$(grep -c 'restored the state snapshot' "$CL/node$1/node.log" 2>/dev/null || true)
  echo "${c:-0}"
}
since() {  # since REF START ELAPSED: seconds from REF to START + ELAPSED
  awk -v r="$1" -v s="$2" -v e="$3" 'BEGIN { printf "%.2f", s - r + e }'
}

# After a full disk the node may still be running, may be halting (it stops once it cannot
# persist, which takes a few seconds), or may run on without making progress. Do what an
# operator would: restart it whenever it is not running, and once if it is stuck for 45 s.
# Sets DISK_S to the seconds until it reached GOAL ("timeout" after 120 s) and DISK_NOTES to
# what had to be done.
recover_disk_node() {  # recover_disk_node GOAL
  local start; start=$(date +%s.%N)
  local restarted_stuck=0 waited
  DISK_NOTES=""
  while :; do
    if ! node_running "$DISK_NODE"; then
      DISK_NOTES="$DISK_NOTES; it exited and was restarted"
      start_nodes || true
    fi
    if "$CHAOS" await --dir "$CL" --nodes "$DISK_NODE" --height "$1" --timeout 5 > /dev/null 2>&1; then
      DISK_S=$(since "$start" "$(date +%s.%N)" 0)
      return 0
    fi
    waited=$(awk -v s="$start" -v now="$(date +%s.%N)" 'BEGIN { printf "%d", now - s }')
    if [ "$waited" -ge 45 ] && [ "$restarted_stuck" -eq 0 ] && node_running "$DISK_NODE"; then
      DISK_NOTES="$DISK_NOTES; it was stuck after the disk was freed and was restarted"
      restarted_stuck=1
      stop_node "$DISK_NODE"
      start_nodes || true
    fi
    if [ "$waited" -ge 120 ]; then
      DISK_S=timeout
      return 0
    fi
  done
}

N_FAULT=0
# Draws one fault of a single class: PT (the nodes hit), PH (how long it is held, s) and PO (the
# clock step). The draws come in the same order for every class as they always have, so a seed
# replays the schedule it made before overlaps existed.
draw_part() {  # draw_part KIND
  local kind=$1
  PT=(); PO=""
  case "$kind" in
    kill|stop|clock) draw 0 $((NODES - 1)); PT=("$R") ;;
    restart-all) PT=($(seq 0 $((NODES - 1)))) ;;
    partition)
      local size=1
      if [ "$NODES" -ge 4 ]; then draw 1 2; size=$R; fi
      draw 0 $((NODES - 1)); PT=("$R")
      if [ "$size" -eq 2 ]; then draw 1 $((NODES - 1)); PT+=("$(( (PT[0] + R) % NODES ))"); fi ;;
    disk-full) PT=("$DISK_NODE") ;;
  esac
  case "$kind" in
    kill|stop) draw 3 12 ;;
    restart-all) draw 1 4 ;;
    partition) draw 5 20 ;;
    disk-full) draw 10 30 ;;
    clock) draw 10 25 ;;
  esac
  PH=$R
  if [ "$kind" = clock ]; then
    draw 5 60; PO=$R
    draw 0 1; [ "$R" -eq 0 ] && PO="-$PO" || PO="+$PO"
  fi
}
others_of() {  # others_of CSV: the nodes not in CSV, comma-separated
  local t out=()
  for t in $(seq 0 $((NODES - 1))); do [[ ",$1," == *",$t,"* ]] || out+=("$t"); done
  (IFS=,; echo "${out[*]}")
}
# Injects one part; PD says what was done, for the fault's line.
inject_part() {  # inject_part KIND TARGETS_CSV HOLD OFFSET
  local kind=$1 tcsv=$2 hold=$3 offset=$4 t
  local -a targets; IFS=',' read -r -a targets <<< "$tcsv"
  case "$kind" in
    kill) kill -KILL "$(pid_of "${targets[0]}")" 2>/dev/null || true; PD="SIGKILL, restarted after ${hold}s" ;;
    stop) kill -STOP "$(pid_of "${targets[0]}")" 2>/dev/null || true; PD="SIGSTOP, SIGCONT after ${hold}s" ;;
    restart-all)
      for t in "${targets[@]}"; do kill -KILL "$(pid_of "$t")" 2>/dev/null || true; done
      PD="SIGKILL of every node, restarted after ${hold}s" ;;
    partition)
      partition "$tcsv"
      PD="blackholed from node$(others_of "$tcsv" | sed 's/,/,node/g') for ${hold}s" ;;
    disk-full)
      DISK_LOG_BEFORE=$(wc -l < "$CL/node$DISK_NODE/node.log")
      fill_disk
      PD="data tmpfs filled ($(df -h --output=avail "$DISK_MOUNT" | tail -n 1 | tr -d ' ') left) for ${hold}s" ;;
    clock)
      echo "${offset}s" > "$CL/node${targets[0]}/clock-offset"
      PD="wall clock stepped ${offset}s while running, stepped back after ${hold}s" ;;
  esac
}
# Heals one part; PD gets what went wrong, if anything. A restart starts every node that is down,
# so a kill healed during an overlap may end another part's kill early.
heal_part() {  # heal_part KIND TARGETS_CSV
  local kind=$1 tcsv=$2
  local -a targets; IFS=',' read -r -a targets <<< "$tcsv"
  PD=""
  case "$kind" in
    kill|restart-all) start_nodes || PD="restart failed: $(tail -n 1 "$RUN/start.log")" ;;
    stop) kill -CONT "$(pid_of "${targets[0]}")" 2>/dev/null || true ;;
    partition) heal_partition ;;
    disk-full) free_disk ;;
    clock) echo "+0" > "$CL/node${targets[0]}/clock-offset" ;;
  esac
}

run_fault() {  # run_fault KIND: one fault (or overlap), its line on the console and in faults.jsonl
  local kind=$1
  N_FAULT=$((N_FAULT + 1))
  # The parts: one for a single class, two for an overlap (the second starting while the first
  # is held). Per part: class, targets, start (s after the first injection), hold, clock step.
  local -a pk=() pt=() ps=() ph=() po=()
  if [ "$kind" = overlap ]; then
    draw 0 $((${#PARTS[@]} - 1)); local a=$R
    draw 0 $((${#PARTS[@]} - 2)); local b=$R
    [ "$b" -ge "$a" ] && b=$((b + 1))
    draw_part "${PARTS[$a]}"
    pk+=("${PARTS[$a]}"); pt+=("$(IFS=,; echo "${PT[*]}")"); ps+=(0); ph+=("$PH"); po+=("$PO")
    draw 0 $((PH - 1)); local second_at=$R
    draw_part "${PARTS[$b]}"
    pk+=("${PARTS[$b]}"); pt+=("$(IFS=,; echo "${PT[*]}")"); ps+=("$second_at"); ph+=("$PH"); po+=("$PO")
  else
    draw_part "$kind"
    pk+=("$kind"); pt+=("$(IFS=,; echo "${PT[*]}")"); ps+=(0); ph+=("$PH"); po+=("$PO")
  fi
  local np=${#pk[@]} p

  # Every node any part hits, and the rest.
  local tcsv ocsv
  tcsv=$(printf '%s\n' "${pt[@]}" | tr ',' '\n' | sort -n -u | paste -sd,)
  ocsv=$(others_of "$tcsv")
  local -a targets others=()
  IFS=',' read -r -a targets <<< "$tcsv"
  [ -n "$ocsv" ] && IFS=',' read -r -a others <<< "$ocsv"
  local names; names=$(for t in "${targets[@]}"; do printf 'node%s ' "$t"; done); names=${names% }
  local has_disk=0
  for p in $(seq 0 $((np - 1))); do [ "${pk[$p]}" = disk-full ] && has_disk=1; done
  local hold=0
  for p in $(seq 0 $((np - 1))); do
    [ $(( ps[p] + ph[p] )) -gt "$hold" ] && hold=$(( ps[p] + ph[p] ))
  done

  local h0 at t; h0=$(max_height); at=$(elapsed)
  local restores_before=()
  for t in "${targets[@]}"; do restores_before+=("$(snapshot_restores "$t")"); done
  local cluster_from=injection
  [ ${#others[@]} -lt "$QUORUM" ] && cluster_from=heal
  local cluster_file; cluster_file=$(mktemp "$RUN/.cluster.XXXXXX")
  local cluster_pid="" cluster_started="" inject_at heal_at
  DISK_LOG_BEFORE=0
  await_cluster() {  # the nodes not hit (all of them when none is left) commit above h0
    local watch=${ocsv:-$tcsv}
    cluster_started=$(date +%s.%N)
    "$CHAOS" await --dir "$CL" --nodes "$watch" --height $((h0 + 1)) --any --timeout 180 > "$cluster_file" 2>/dev/null &
    cluster_pid=$!
    HELPERS+=("$cluster_pid")
  }

  # Inject and heal every part at its time: "SECONDS ORDER PART inject|heal", in time order.
  local -a part_detail=() heal_notes=()
  local events now=0 when order what
  events=$(for p in $(seq 0 $((np - 1))); do
             echo "${ps[$p]} 0 $p inject"
             echo "$(( ps[p] + ph[p] )) 1 $p heal"
           done | sort -n -k1,1 -k2,2 -k3,3)
  inject_at=$(date +%s.%N)
  while read -r when order p what; do
    [ "$when" -gt "$now" ] && sleep $((when - now)) && now=$when
    if [ "$what" = inject ]; then
      inject_part "${pk[$p]}" "${pt[$p]}" "${ph[$p]}" "${po[$p]}"
      part_detail[$p]=$PD
      [ "$p" -eq 0 ] && [ "$cluster_from" = injection ] && await_cluster
    else
      heal_part "${pk[$p]}" "${pt[$p]}"
      heal_notes[$p]=$PD
    fi
  done <<< "$events"
  heal_at=$(date +%s.%N)
  [ "$cluster_from" = heal ] && await_cluster

  local detail="" part_text
  for p in $(seq 0 $((np - 1))); do
    part_text=${part_detail[$p]}
    [ -n "${heal_notes[$p]:-}" ] && part_text="$part_text; ${heal_notes[$p]}"
    if [ "$np" -eq 1 ]; then
      detail=$part_text
    else
      local pnames; pnames=$(echo "${pt[$p]}" | sed 's/^/node/; s/,/ node/g')
      [ -n "$detail" ] && detail="$detail; then "
      detail="$detail${pk[$p]} $pnames at +${ps[$p]}s ($part_text)"
    fi
  done

  # The nodes hit must reach the height the others have now (when every node was hit: a block
  # above the one every node had at the injection).
  local goal
  if [ ${#others[@]} -gt 0 ]; then goal=$(max_height "${others[@]}"); else goal=$((h0 + 1)); fi
  local node_s="" node_started
  node_started=$(date +%s.%N)
  if [ "$has_disk" -eq 1 ]; then
    recover_disk_node "$goal"
    node_s=$DISK_S
    # RocksDB writes into space its files already hold until it needs a new file (a log
    # rollover, a flush), so a short hold may pass unnoticed; say which way it went.
    local failure
    # The node's own verdict (a halt, an abort) says more than the storage engine's warning
    # that comes just before it.
    local lines
    lines=$(tail -n "+$((DISK_LOG_BEFORE + 1))" "$CL/node$DISK_NODE/node.log")
    failure=$(grep -m1 -E 'Assertion|HALTING|terminate called|Aborted' <<<"$lines" | cut -c1-200 || true)
    [ -n "$failure" ] || failure=$(grep -m1 -E 'No space left' <<<"$lines" | cut -c1-200 || true)
    if [ -n "$failure" ]; then
      detail="$detail; the node failed: \"$failure\""
    else
      detail="$detail; the node needed no new space meanwhile"
    fi
    detail="$detail$DISK_NOTES"
    # In an overlap the other part's nodes must get there too.
    if [ "$np" -gt 1 ] && [ "$node_s" != timeout ]; then
      local rest_s
      rest_s=$("$CHAOS" await --dir "$CL" --nodes "$tcsv" --height "$goal" --timeout 120 2>/dev/null || true)
      if [ "$rest_s" = timeout ] || [ -z "$rest_s" ]; then
        node_s=timeout
      else
        node_s=$(since "$node_started" "$(date +%s.%N)" 0)
      fi
    fi
  else
    node_s=$("$CHAOS" await --dir "$CL" --nodes "$tcsv" --height "$goal" --timeout 120 2>/dev/null || true)
  fi
  [ "$node_s" = timeout ] || [ -z "$node_s" ] && node_s=null
  # Each await counts from its own start; the figures count from the injection or the heal.
  [ "$node_s" = null ] || node_s=$(since "$heal_at" "$node_started" "$node_s")
  wait "$cluster_pid" 2>/dev/null || true
  forget_helper "$cluster_pid"
  local cluster_s; cluster_s=$(cat "$cluster_file"); rm -f "$cluster_file"
  [ "$cluster_s" = timeout ] || [ -z "$cluster_s" ] && cluster_s=null
  if [ "$cluster_s" != null ]; then
    if [ "$cluster_from" = injection ]; then
      cluster_s=$(since "$inject_at" "$cluster_started" "$cluster_s")
    else
      cluster_s=$(since "$heal_at" "$cluster_started" "$cluster_s")
    fi
  fi

  # A node that fell too far behind catches up from a state snapshot; say so, since what the
  # checker finds missing later usually starts there.
  local k=0
  for t in "${targets[@]}"; do
    if [ "$(snapshot_restores "$t")" -gt "${restores_before[$k]}" ]; then
      detail="$detail; node$t restored a state snapshot at height $(grep -h 'restored the state snapshot' "$CL/node$t/node.log" | tail -n 1 | sed -n 's/.* at height \([0-9]*\) .*/\1/p')"
    fi
    k=$((k + 1))
  done
  jq -nc --argjson n "$N_FAULT" --arg kind "$kind" --argjson targets "[$tcsv]" --argjson at "$at" \
    --argjson hold "$hold" --arg detail "$detail" --argjson cluster "$cluster_s" --arg from "$cluster_from" \
    --argjson node "$node_s" \
    '{n: $n, kind: $kind, targets: $targets, at_s: $at, hold_s: $hold, detail: $detail,
      cluster_s: $cluster, cluster_from: $from, node_s: $node}' >> "$FAULT_LOG"
  local cl_text="${cluster_s}s (from $cluster_from)" nd_text="${node_s}s"
  [ "$cluster_s" = null ] && cl_text="NOT within 180s"
  [ "$node_s" = null ] && nd_text="NOT within 120s"
  say "fault #$N_FAULT at ${at}s: $kind $names ($detail) -> cluster recovered ${cl_text}, node recovered ${nd_text}"
}

END_AT=$(awk -v t0="$T0" -v s="$RUN_SECONDS" 'BEGIN { printf "%d", t0 + s }')
if [ ${#CLASSES[@]} -eq 0 ]; then
  say "no fault class can run here; the cluster runs under load for ${RUN_SECONDS}s"
fi
# Classes come in rounds: each round is a seeded shuffle of every enabled class, so even a short
# run sees as many different faults as it has room for.
ROUND=()
next_class() {
  if [ ${#ROUND[@]} -eq 0 ]; then
    ROUND=("${CLASSES[@]}")
    local i j tmp
    for (( i = ${#ROUND[@]} - 1; i > 0; i-- )); do
      draw 0 "$i"; j=$R
      tmp=${ROUND[$i]}; ROUND[$i]=${ROUND[$j]}; ROUND[$j]=$tmp
    done
  fi
  CLASS=${ROUND[0]}
  ROUND=("${ROUND[@]:1}")
}
while :; do
  draw 10 25; gap=$R
  [ $(( $(date +%s) + gap )) -lt "$END_AT" ] || break
  sleep "$gap"
  [ ${#CLASSES[@]} -gt 0 ] || continue
  next_class
  run_fault "$CLASS"
done
left=$(( END_AT - $(date +%s) )); [ "$left" -gt 0 ] && sleep "$left"

# ---------------------------------------------------------------------------------------------
# Heal, let the load end, check.
say "fault phase over after $N_FAULT faults; healing everything and stopping the load"
heal_all
kill -TERM "$LEDGER_PID" 2>/dev/null || true
wait "$LEDGER_PID" 2>/dev/null || true
say "$(tail -n 1 "$RUN/ledger.log")"
for _ in $(seq 1 90); do kill -0 "$BENCH_PID" 2>/dev/null || break; sleep 1; done
kill -TERM "$BENCH_PID" 2>/dev/null || true
wait "$BENCH_PID" 2>/dev/null || true
BENCH_JSON=$(cat "$RUN/bench.json" 2>/dev/null | tail -n 1)
echo "$BENCH_JSON" | jq -e . > /dev/null 2>&1 || BENCH_JSON='null'
if [ "$BENCH_JSON" != null ]; then
  say "bench: $(echo "$BENCH_JSON" | jq -r '"submitted \(.submitted), refused \(.refused), committed \(.committed) (\(.committed_tps | floor) tx/s)"')"
fi

say "checking every node (heights, blocks 1..tip, acked transfers, supply, balances, history)"
set +e
"$CHAOS" check --dir "$CL" --ledger "$LEDGER" --faults "$FAULT_LOG" --settle 180 --json > "$RUN/check.json" 2> "$RUN/check.log"
CHECK_RC=$?
set -e
CHECK_JSON=$(cat "$RUN/check.json")
echo "$CHECK_JSON" | jq -e . > /dev/null 2>&1 || fail_setup "the checker did not report (rc $CHECK_RC): $(tail -n 3 "$RUN/check.log")"

SKIPPED_JSON=$(for k in "${!SKIPPED[@]}"; do jq -nc --arg k "$k" --arg v "${SKIPPED[$k]}" '{($k): $v}'; done | jq -sc 'add // {}')
SUMMARY=$(jq -n --argjson seed "$SEED" --argjson nodes "$NODES" --arg minutes "$MINUTES" --arg network "$NETWORK" \
  --arg run "$RUN" --arg replay "$REPLAY" --arg enabled "$ENABLED_LIST" --argjson skipped "$SKIPPED_JSON" \
  --argjson bench "$BENCH_JSON" --argjson check "$CHECK_JSON" --argjson rate "$RATE" \
  '{seed: $seed, nodes: $nodes, minutes: ($minutes | tonumber), network: $network, rate: $rate,
    faults_enabled: ($enabled | split(",") | map(select(. != ""))), faults_skipped: $skipped,
    faults: $check.faults, ledger: $check.ledger, violation_count: $check.violation_count,
    violations: $check.violations, checks: ($check.checks | map_values(.status)),
    history_complete: $check.history_complete, tip: $check.tip,
    bench: (if $bench == null then null else $bench | {submitted, refused, committed, committed_tps, latency_ms} end),
    ok: $check.ok, run_dir: $run, replay: $replay}')
echo "$SUMMARY" > "$RUN/summary.json"

if [ "$JSON" -eq 1 ]; then
  echo "$SUMMARY" | jq -c .
else
  {
    echo
    echo "== chaos run: seed $SEED, $NODES nodes ($NETWORK), $MINUTES min"
    echo "$SUMMARY" | jq -r '"faults: \(.faults.total) (" + ([.faults.by_kind | to_entries[] | "\(.key) \(.value)"] | join(", ")) + ")"'
    [ ${#SKIPPED[@]} -gt 0 ] && echo "$SUMMARY" | jq -r '"skipped: " + ([.faults_skipped | to_entries[] | "\(.key) (\(.value))"] | join("; "))'
    echo "$SUMMARY" | jq -r '"ledger: \(.ledger.commands) commands, \(.ledger.acked) acknowledged (" + ([.ledger.by_outcome | to_entries[] | "\(.key) \(.value)"] | join(", ")) + ")"'
    echo "$SUMMARY" | jq -r 'if .bench then "bench: submitted \(.bench.submitted), committed \(.bench.committed)" else "bench: no report" end'
    echo "$SUMMARY" | jq -r '.faults.recovery_s | "recovery: cluster p50 \(.cluster.p50)s p99 \(.cluster.p99)s max \(.cluster.max)s; node p50 \(.node.p50)s p99 \(.node.p99)s max \(.node.max)s"'
    echo "$SUMMARY" | jq -r '"checks: " + ([.checks | to_entries[] | "\(.key) \(.value)"] | join(", "))'
    echo "$SUMMARY" | jq -r '"history_complete: " + (.history_complete | if type == "string" then . else tostring end)'
    echo "$SUMMARY" | jq -r '"violations: \(.violation_count)"'
    echo "$SUMMARY" | jq -r '.violations[] | "  [\(.check)] \(.detail)"'
    echo "seed: $SEED (replay: $REPLAY)"
    echo "logs, ledger, fault log and reports: $RUN"
  } | tee -a "$LOG" >&3
fi
[ "$CHECK_RC" -eq 0 ] || exit 1
exit 0
