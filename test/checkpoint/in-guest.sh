#!/bin/bash
# make test-checkpoint, inside the guest test/cgroup2/run.sh boots (Debian's kernel, pure cgroup
# v2), where `criu check` passes: the checkpoint tests, one file, one fork (see
# test/cgroup2/in-guest.sh); then podman's checkpoint and restore on runc and on keel, side by side
# (the engine lane's podman with CHECKPOINT=1: test/engines/lib/podman-checkpoint.sh).
#   in-guest.sh [VITEST ARG]...
set -uo pipefail
echo "in-guest: kernel $(uname -r), $(criu --version | head -n1)"
mkdir -p build
npx vitest run --config test/vitest.config.ts --pool=forks --poolOptions.forks.singleFork \
  --testTimeout=180000 --hookTimeout=90000 \
  --reporter=default --reporter=json --outputFile=build/results-checkpoint.json \
  test/checkpoint "$@"
status=$?
node test/host/summary.mjs build/results-checkpoint.json checkpoint || [[ $status -ne 0 ]] || status=1
# The lane fails when a scenario passes on runc and fails on keel, or fails on both.
ENGINES=podman ONLY='^checkpoint-' CHECKPOINT=1 RUNTIMES='runc keel' SCENARIO_TIMEOUT=300 bash test/engines/run.sh || status=1
exit $status
