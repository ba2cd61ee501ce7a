#!/bin/bash
# make test-checkpoint, inside the guest test/cgroup2/run.sh boots (Debian's kernel, pure cgroup
# v2), where `criu check` passes: the checkpoint tests, one file, one fork (see test/cgroup2/in-guest.sh).
set -uo pipefail
echo "in-guest: kernel $(uname -r), $(criu --version | head -n1)"
mkdir -p build
npx vitest run --config test/vitest.config.ts --pool=forks --poolOptions.forks.singleFork \
  --testTimeout=180000 --hookTimeout=90000 \
  --reporter=default --reporter=json --outputFile=build/results-checkpoint.json \
  test/checkpoint "$@"
status=$?
node test/host/summary.mjs build/results-checkpoint.json checkpoint || [[ $status -ne 0 ]] || status=1
exit $status
