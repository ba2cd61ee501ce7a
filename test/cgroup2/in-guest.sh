#!/bin/bash
# Runs inside the cgroup v2 guest (test/cgroup2/run.sh), in the shared checkout: checks that this
# really is a pure v2 host, then runs the cgroup integration tests there and sums them up, or, in
# bench mode, bench/run.sh (its table lands in the shared checkout's bench/results/).
#   in-guest.sh [tests] [VITEST ARG]...   |   in-guest.sh bench [RUNS]
set -uo pipefail
mode=tests
case ${1:-} in tests | bench) mode=$1; shift ;; esac
fstype=$(stat -f -c %T /sys/fs/cgroup)
[[ $fstype == cgroup2fs ]] || { echo "in-guest: /sys/fs/cgroup is $fstype, not cgroup2: not a pure v2 host" >&2; exit 125; }
echo "in-guest: kernel $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
# Under TCG every process start is many times slower than on the host: 10 runs per timing by default.
# (Without the containerd section: 3 columns of 50 concurrent `ctr run` are too long under TCG.)
[[ $mode == bench ]] && BENCH_CONTAINERD=0 exec bash bench/run.sh "${1:-10}"
mkdir -p build
# One fork, one file at a time: under TCG a process start costs ~30x the host's, and vitest's
# worker RPC (onTaskUpdate) times out when workers compete with the containers for two vCPUs.
# Every keel call takes seconds here, so a test gets three times the host's 30 s.
npx vitest run --config test/vitest.config.ts --pool=forks --poolOptions.forks.singleFork \
  --testTimeout=90000 --hookTimeout=90000 \
  --reporter=default --reporter=json --outputFile=build/results-cgroup2.json \
  test/integration/cgroups.test.ts test/integration/update.test.ts test/integration/events.test.ts \
  test/integration/exec.test.ts test/cgroup2 "$@"
status=$?
node test/host/summary.mjs build/results-cgroup2.json cgroup2 || [[ $status -ne 0 ]] || status=1
exit $status
