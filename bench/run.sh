#!/bin/bash
# keel against runc and crun, same bundle, same run, clean environment for every runtime.
# Prints one markdown table and writes it to bench/results/<date>-<host facts>.md, followed by
# bench/containerd.sh's (keel's shim and runc's under containerd; BENCH_CONTAINERD=0 leaves it out).
#   bench/run.sh [RUNS]      (default 20 runs per timing)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
keel="$here/dist/keel"
T=$(mktemp -d /tmp/keel-bench.XXXXXX)
ENV=(env -i "PATH=$PATH")   # NODE_EXTRA_CA_CERTS and friends would cost every Node start ~85 ms

cleanup() {
  set +e
  for rt in keel runc crun; do
    [ -d "$T/root-$rt" ] || continue
    for id in $(ls "$T/root-$rt" 2>/dev/null); do rt_cmd "$rt" delete --force "$id" >/dev/null 2>&1; done
  done
  rm -rf "$T"
}
trap cleanup EXIT

# rt RUNTIME ARGS...: one runtime (or node, for the floor), its own --root, a clean environment (a script, so hyperfine and
# xargs can run it too).
cat >"$T/rt" <<SCRIPT
#!/bin/bash
rt=\$1; shift
case \$rt in keel) exec env -i PATH="$PATH" "$keel" --root "$T/root-keel" "\$@" ;; node) exec env -i PATH="$PATH" node "\$@" ;; *) exec env -i PATH="$PATH" "\$rt" --root "$T/root-\$rt" "\$@" ;; esac
SCRIPT
chmod +x "$T/rt"
rt_cmd() { "$T/rt" "$@"; }

# --- the bundle: static busybox, /bin/true -------------------------------------------------
B=$T/bundle
mkdir -p "$B/rootfs"/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$B/rootfs/bin/"
for a in sh true sleep; do ln -s busybox "$B/rootfs/bin/$a"; done
(cd "$B" && runc spec)
jq '.process.terminal=false | .process.args=["true"] | .root.readonly=true' "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
SLEEP=$T/bundle-sleep
mkdir -p "$SLEEP" && cp -a "$B/rootfs" "$SLEEP/rootfs"
jq '.process.args=["sleep","1000"]' "$B/config.json" >"$SLEEP/config.json"

runtimes=(keel runc)
crun_note=""
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then runtimes+=(crun); else crun_note="n/a (hybrid cgroups)"; fi

# The machine may be shared: each timing is the median of the runs, with the fastest run after it
# in parentheses (ratios are of medians).
median_min_ms() { jq -r '.results[0] | "\(.median * 1000 | . * 10 | round / 10) (\(.min * 1000 | . * 10 | round / 10))"' "$1"; }
time_it() { # name runtime command...
  local out=$T/h-$1-$2.json; shift 2
  hyperfine -N -w 2 -r "$runs" --export-json "$out" "$@" >/dev/null 2>&1 || hyperfine -w 2 -r "$runs" --export-json "$out" "$@" >/dev/null
  median_min_ms "$out"
}

declare -A R
n=0
for rt in "${runtimes[@]}"; do
  echo "bench: $rt ($(date -u +%H:%M:%S))" >&2   # progress: in the cgroup v2 guest a runtime takes minutes
  mkdir -p "$T/root-$rt"
  # 1. run of /bin/true: create, start, exit, delete in one invocation
  R[run,$rt]=$(time_it run "$rt" --prepare "true" "bash -c '$T/rt $rt run -b $B r\$RANDOM >/dev/null'")
  # 2. the engine lifecycle, as separate invocations
  R[life,$rt]=$(time_it life "$rt" "bash -c 'id=l\$RANDOM; $T/rt $rt create -b $B \$id && $T/rt $rt start \$id && while $T/rt $rt state \$id | grep -q running; do :; done; $T/rt $rt delete \$id'")
  # 3. state of a running container; list with 1, 100 and 1000 containers
  rt_cmd "$rt" run -d -b "$SLEEP" s0 >/dev/null 2>&1 </dev/null
  # 6. the floor, `node -e 0` through the same clean environment, timed next to keel's state
  [ "$rt" = keel ] && R[node,floor]=$(time_it node floor "$T/rt node -e 0")
  R[state,$rt]=$(time_it state "$rt" "$T/rt $rt state s0")
  # 7. exec of /bin/true in that running container, waiting for it (what a liveness probe costs)
  R[exec,$rt]=$(time_it exec "$rt" "$T/rt $rt exec s0 true")
  R[list1,$rt]=$(time_it list1 "$rt" "$T/rt $rt list")
  for i in $(seq 1 99); do rt_cmd "$rt" create -b "$SLEEP" "c$i" >/dev/null 2>&1 </dev/null; done
  R[list100,$rt]=$(time_it list100 "$rt" "$T/rt $rt list")
  # 1000: the 100 real ones plus 900 copies of a created one's state (same live init), as the
  # runtimes derive each status from the live process. keel and runc keep the id in state.json;
  # crun has no state.json (its status file has no id: the directory's name is the id).
  for i in $(seq 100 999); do
    cp -a "$T/root-$rt/c1" "$T/root-$rt/x$i"
    [ ! -f "$T/root-$rt/x$i/state.json" ] || sed -i "s/\"id\":\"c1\"/\"id\":\"x$i\"/" "$T/root-$rt/x$i/state.json"
  done
  R[list1000,$rt]=$(time_it list1000 "$rt" "$T/rt $rt list")
  rm -rf "$T/root-$rt"/x*
  # 4. memory: the waiting init while created, and peak RSS of one create / state / delete
  pid=$(rt_cmd "$rt" state c1 | jq .pid)
  R[pss,$rt]=$(awk '/^Pss:/ {printf "%.0f", $2}' "/proc/$pid/smaps_rollup")
  R[rss,$rt]=$(awk '/^Rss:/ {printf "%.0f", $2}' "/proc/$pid/smaps_rollup")
  # (Output to files: a created container keeps its runtime's stdout open, so a pipe would hang.)
  peak() { /usr/bin/time -o "$T/peak" -f %M "$T/rt" "$rt" "$@" >/dev/null 2>&1 </dev/null; cat "$T/peak"; }
  R[maxcreate,$rt]=$(peak create -b "$SLEEP" m1)
  R[maxstate,$rt]=$(peak state m1)
  R[maxdelete,$rt]=$(peak delete --force m1)
  for id in $(ls "$T/root-$rt"); do rt_cmd "$rt" delete --force "$id" >/dev/null; done
  # 5. 50 containers created and started at once
  start=$(date +%s%N)
  seq 1 50 | xargs -P 50 -I{} bash -c "$T/rt $rt create -b $SLEEP p{} >/dev/null 2>&1 </dev/null && $T/rt $rt start p{}"
  R[fifty,$rt]=$(( ($(date +%s%N) - start) / 1000000 ))
  seq 1 50 | xargs -P 10 -I{} "$T/rt" "$rt" delete --force p{}
  left=$(ls "$T/root-$rt" | wc -l)
  R[left,$rt]=$left
  n=$((n + 1))
done

ratio() { local k=${R[$1,keel]} r=${R[$1,runc]}; awk -v k="$k" -v r="$r" 'BEGIN { if (r > 0) printf "%.2f", k / r; else print "-" }'; }
crun() { [ -n "$crun_note" ] && echo "$crun_note" || echo "${R[$1,crun]}"; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "${R[$2,keel]}" "${R[$2,runc]}" "$(crun "$2")" "$(ratio "$2")"; }

host="$(nproc) cores, kernel $(uname -r), cgroups $(stat -fc %T /sys/fs/cgroup | sed 's/cgroup2fs/v2/;s/tmpfs/v1 or hybrid/')"
report=$T/report.md
{
  echo "# keel benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$host; runc $(runc --version | head -1 | awk '{print $3}'); $runs runs per timing; env -i PATH=... for every runtime."
  echo "Floor: \`node -e 0\` = ${R[node,floor]} ms; keel's state / floor = $(awk -v k="${R[state,keel]}" -v f="${R[node,floor]}" 'BEGIN { printf "%.2f", k / f }') (medians)."
  echo "Times in ms are the median of the runs, the fastest run in parentheses."
  echo
  echo '| measurement | keel | runc | crun | keel/runc |'
  echo '|---|---|---|---|---|'
  row 'run /bin/true (create, exit, delete), ms' run
  row 'lifecycle: create, start, wait, delete (separate calls), ms' life
  row 'state of a running container, ms' state
  row 'exec /bin/true in a running container, ms' exec
  row 'list, 1 container, ms' list1
  row 'list, 100 containers, ms' list100
  row 'list, 1000 containers, ms' list1000
  row 'waiting init PSS while created, KiB' pss
  row 'waiting init RSS while created, KiB' rss
  row 'peak RSS of create, KiB' maxcreate
  row 'peak RSS of state, KiB' maxstate
  row 'peak RSS of delete, KiB' maxdelete
  row '50 concurrent create+start, wall ms' fifty
  row 'containers left after deleting those 50' left
} >"$report"
if [ "${BENCH_CONTAINERD:-1}" != 0 ]; then
  echo >>"$report"
  if bash "$here/bench/containerd.sh" "$runs" "$T/containerd.md" >/dev/null; then cat "$T/containerd.md" >>"$report"
  else echo "## containerd: the section failed (its reason is above; bench/containerd.sh runs it alone)" >>"$report"; fi
fi
cat "$report"
mkdir -p "$here/bench/results"
cp "$report" "$here/bench/results/$(date -u +%Y-%m-%d)-$(nproc)cpu-$(uname -r | cut -d- -f1)-$(stat -fc %T /sys/fs/cgroup | sed 's/cgroup2fs/cgroup2/;s/tmpfs/hybrid/').md"
