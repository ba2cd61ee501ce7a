#!/bin/bash
# Runs inside the systemd guest (make test-systemd: test/cgroup2/run.sh with KEEL_VM_SYSTEMD=1), in
# the shared checkout: checks that systemd is PID 1 on pure cgroup v2 with the system bus up, then
# runs the systemd driver's tests (test/systemd) and the D-Bus client's, and sums them up.
#   in-guest.sh [VITEST ARG]...
set -uo pipefail
[[ $(cat /proc/1/comm) == systemd ]] || { echo "in-guest: PID 1 is $(cat /proc/1/comm), not systemd" >&2; exit 125; }
[[ $(stat -f -c %T /sys/fs/cgroup) == cgroup2fs ]] || { echo "in-guest: /sys/fs/cgroup is not cgroup2" >&2; exit 125; }
for i in $(seq 100); do [[ -S /run/dbus/system_bus_socket ]] && break; sleep 0.2; done
echo "in-guest: kernel $(uname -r), $(systemctl --version | head -n1), system bus $(ls /run/dbus/system_bus_socket)"
mkdir -p build
# One fork, one file at a time, three times the host's timeouts: every process start is many times
# slower under TCG (see test/cgroup2/in-guest.sh).
npx vitest run --config test/vitest.config.ts --pool=forks --poolOptions.forks.singleFork \
  --testTimeout=120000 --hookTimeout=120000 \
  --reporter=default --reporter=json --outputFile=build/results-systemd.json \
  test/systemd test/integration/dbus-client.test.ts "$@"
status=$?
node test/host/summary.mjs build/results-systemd.json systemd || [[ $status -ne 0 ]] || status=1
# What systemd knows of keel's and runc's scopes after the tests: none should be left.
left=$(systemctl list-units --all --plain --no-legend 'keel-*.scope' 'runc-*.scope' | awk '{print $1}')
if [[ -n $left ]]; then echo "in-guest: scopes left behind: $left" >&2; status=1; fi
exit $status
