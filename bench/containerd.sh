#!/bin/bash
# The containerd section of `make bench`: the same runs under a private containerd 1.6 for four
# columns, keel's shim (io.containerd.keel.v1) with a shim per pod, keel's shim with one shim per
# namespace (the operator's setting, a shim config {"shimGroup": "namespace"}), runc's shim with
# runc, and runc's shim with keel as its runtime binary (BinaryName, `ctr run --runc-binary`).
# The per-namespace column keeps one container of the namespace running while it is timed, so
# its shim is up, as an operator's other pods keep it. containerd, its busybox image and
# the way each column runs a container are the engine lane's (test/engines/lib/), sourced here.
# containerd starts with `env -i PATH=...` (as the lane starts it), and every shim and runtime it
# runs inherits that environment: nothing like NODE_EXTRA_CA_CERTS reaches a Node start.
# Prints one markdown table; with OUT, writes it there too. About 3 min on the shared 2-core VM.
#   bench/containerd.sh [RUNS] [OUT]     (default 20 runs per timing)
# Not -e: the lane's functions are written for a shell without it.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
out=${2:-}
started=$SECONDS
lib=$here/test/engines/lib
export KEEL=$here/dist/keel KEEL_SHIM=$here/dist/containerd-shim-keel-v1 RUNC
RUNC=$(command -v runc)
T=$(mktemp -d /tmp/keel-bench-ctd.XXXXXX)
export T
export CTD_NS=keel-bench-$$
export IMAGE_TAR=$T/busybox.tar IMAGE_REF=localhost/keel-bench/busybox:latest
source "$lib/common.sh"
source "$lib/image.sh"
source "$lib/containerd.sh"
source "$lib/host-cleanup.sh"
snapshot_host
cleanup() {
  set +e
  containerd_stop >>"$T/stop.log" 2>&1
  cleanup_host
  rm -rf --one-file-system "$T"
}
trap cleanup EXIT

build_busybox_image "$IMAGE_TAR" "$IMAGE_REF" || { say "could not build the busybox image"; exit 1; }
containerd_start || exit 1
# Each timed command runs in bash (hyperfine subtracts bash's own start) with the lane's ctr_run.
export -f ctr_ ctr_run ctr_run_in_namespace_shim
export CTD CTD_SOCK CTD_IMAGE

columns=(keel-shim keel-shim-ns runc keel)
declare -A R
# The host may be shared and its load change within a minute: the timings go in rounds, each
# column in turn, and each is the median (and fastest) of all its rounds' runs.
rounds=4
per_round=$(((runs + rounds - 1) / rounds))
column() { # COL: the column; RT and RT_PATH: the runtime variables ctr_run reads; RUN: how it runs a container
  COL=$1 RT=$1 RT_PATH=$RUNC RUN=ctr_run
  [ "$RT" = keel ] && RT_PATH=$KEEL
  [ "$COL" = keel-shim-ns ] && RT=keel-shim RUN=ctr_run_in_namespace_shim
  [ "$RT" = keel-shim ] && RT_PATH=$KEEL_SHIM
  export COL RT RT_PATH RUN
}
# The per-namespace column's containers share one shim; the other columns' each have their own
# (no pod annotation). Keeps the namespace's shim up: one container of it runs.
warm_namespace_shim() { [ "$COL" != keel-shim-ns ] || ctr_detached_col "warm-$COL" || exit 1; }
ctr_detached_col() { # ID: ctr_detached through the column's RUN
  local out
  out=$($RUN -d "$CTD_IMAGE" "$1" sleep 300 2>&1) || { say "ctr run -d $1: $out"; return 1; }
  eventually 10 task_status_is "$1" RUNNING || { say "task $1 is not RUNNING"; return 1; }
}
timed() { # NAME COMMAND: per_round runs after one warm-up, their times (s) appended to $T/NAME-$COL
  hyperfine -S bash -w 1 -r "$per_round" --export-json "$T/h.json" "$2" >/dev/null || exit 1
  jq -r '.results[0].times[]' "$T/h.json" >>"$T/$1-$COL"
}
median_min_ms() { sort -g "$1" | awk '{ t[NR] = $1 * 1000 } END { m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%d (%d)", m + 0.5, t[1] + 0.5 }'; }
pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
shim_of() { awk '{print $4}' "/proc/$1/stat"; } # a task's init is its shim's child (the lane's shim-killed says so)
task_pid() { ctr_ tasks ls | awk -v id="$1" '$1 == id {print $2}'; }

# 1. ctr run --rm of /bin/true (nothing to unpack: the image was unpacked at import), and 2. ctr
# task exec of /bin/true in a running container, one per column (the per-namespace column's keeps
# its shim up).
for col in "${columns[@]}"; do column "$col"; ctr_detached_col "x-$COL" || exit 1; done
for round in $(seq 1 $rounds); do
  say "bench containerd: timings, round $round of $rounds ($(date -u +%H:%M:%S))"
  for col in "${columns[@]}"; do
    column "$col"
    timed run '$RUN --rm "$CTD_IMAGE" r$RANDOM$RANDOM true'
    timed exec "ctr_ task exec --exec-id e\$RANDOM\$RANDOM x-$COL true"
  done
done
for col in "${columns[@]}"; do R[run,$col]=$(median_min_ms "$T/run-$col") R[exec,$col]=$(median_min_ms "$T/exec-$col"); done
containerd_reset

for col in "${columns[@]}"; do
  column "$col"
  say "bench containerd: memory and 50 at once, $COL ($(date -u +%H:%M:%S))"
  # 3. one idle shim serving one container, then 20 containers at once (a shim each, or the
  # namespace's one), each measured 3 s after its last container started; only this column's
  # shims run meanwhile.
  ctr_detached_col "m1-$COL" || exit 1
  sleep 3
  R[pss1,$COL]=$(pss_kib "$(shim_of "$(task_pid "m1-$COL")")")
  for i in $(seq 2 20); do ctr_detached_col "m$i-$COL" || exit 1; done
  sleep 3
  total=0 shims=0
  for shim in $(for id in $(ctr_ tasks ls -q); do shim_of "$(task_pid "$id")"; done | sort -u); do
    total=$((total + $(pss_kib "$shim"))) shims=$((shims + 1))
  done
  R[pss20,$COL]="$((total / 1024)) MiB in $shims shims, $((total / 20 / 1024)).$(((total / 20 % 1024) * 10 / 1024)) MiB per container"
  containerd_reset
  # 4. 50 concurrent ctr run --rm; a run that fails is counted, and none may be left (but the
  # per-namespace column's container that keeps its shim up)
  warm_namespace_shim
  failed=$T/failed-$COL
  : >"$failed"
  t0=$(date +%s%N)
  seq 1 50 | xargs -P 50 -I{} bash -c "\$RUN --rm \"\$CTD_IMAGE\" c{}-$COL true >$T/fifty-{}.log 2>&1 </dev/null || echo {} >>$failed"
  R[fifty,$COL]=$((($(date +%s%N) - t0) / 1000000))
  R[fiftyfailed,$COL]=$(wc -l <"$failed")
  # What the last failed run said, in the table: a failure is the benchmark's finding too.
  [ -s "$failed" ] && R[fiftyfailed,$COL]+=" ($(tr -d "|" <"$T/fifty-$(tail -1 "$failed").log" | tr "\n" " " | cut -c1-300))"
  R[left,$COL]=$(ctr_ containers ls -q | grep -cvx "warm-$COL")
  containerd_reset
done

ratio() { awk -v k="${R[$1,$2]%% *}" -v r="${R[$1,runc]%% *}" 'BEGIN { if (r > 0) printf "%.2f", k / r; else print "-" }'; }
row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "${R[$2,keel-shim]}" "${R[$2,keel-shim-ns]}" "${R[$2,runc]}" "${R[$2,keel]}" "${3-$(ratio "$2" keel-shim)}" "${3-$(ratio "$2" keel-shim-ns)}"; }
table=$T/containerd.md
{
  echo "## containerd"
  echo
  echo "containerd $(containerd --version | awk '{print $3}'), a private instance started with env -i PATH=...; busybox image already unpacked (overlayfs);"
  echo "$((rounds * per_round)) runs per timing, in $rounds rounds taking the columns in turn; times in ms are the median, the fastest run in parentheses;"
  echo "PSS 3 s after the last container started. The section took $((SECONDS - started)) s; load average at its end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "keel's shim per namespace: every container of the namespace in one shim ({\"shimGroup\": \"namespace\"}), kept up while the"
  echo "run, exec and 50-at-once rows are timed by one running container of the namespace, as an operator's other pods keep it."
  echo
  echo "| measurement | keel's shim | keel's shim per namespace | runc's shim + runc | runc's shim + keel | keel's shim / runc's shim + runc | per namespace / runc's shim + runc |"
  echo '|---|---|---|---|---|---|---|'
  row '`ctr run --rm` of /bin/true, ms' run
  row '`ctr task exec` of /bin/true in a running container, ms' exec
  row 'PSS of the shim serving one idle container, KiB' pss1
  row 'PSS of the shims, 20 containers running (one shim each; per namespace, one in all)' pss20
  row '50 concurrent `ctr run --rm`, wall ms' fifty
  row 'of those 50, runs that failed' fiftyfailed -
  row 'containers left after those 50' left -
} >"$table"
cat "$table"
[ -z "$out" ] || cp "$table" "$out"
