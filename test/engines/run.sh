#!/bin/bash
# The engine lane (`make test-engines`): containerd, podman and Docker, from Debian's packages, run
# the same scenarios once with runc and once with keel, and the two are compared. Every engine is a
# private instance under a temp dir $T (own sockets, roots, config); everything started here is
# stopped by its saved PID and everything made under $T is removed, on success or failure.
#
#   test/engines/run.sh            all engines, all scenarios
#   ENGINES="podman" ONLY='exec|pause' test/engines/run.sh   (SKIP='regex' leaves scenarios out)
#   KEEL=/path/to/keel RUNC=/path/to/runc SCENARIO_TIMEOUT=60 KEEP=1 (keep $T's logs)
#
# containerd has a third column, keel-shim: keel's own shim (io.containerd.keel.v1, KEEL_SHIM,
# found on containerd's PATH) instead of runc's shim driving a runtime binary.
#
# Exit status: 0 when every scenario that passes on runc also passes on keel; 1 when one does not;
# 2 when the lane itself is broken (an engine did not start, or a scenario fails on runc too).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ENGINES=${ENGINES:-containerd podman docker}
ONLY=${ONLY:-.}
SKIP=${SKIP:-}
SCENARIO_TIMEOUT=${SCENARIO_TIMEOUT:-60}
KEEL=${KEEL:-$REPO/dist/keel}
KEEL_SHIM=${KEEL_SHIM:-$REPO/dist/containerd-shim-keel-v1}
RUNC=${RUNC:-$(command -v runc)}
read -ra RUNTIMES <<<"${RUNTIMES:-runc keel keel-shim}"
export KEEL KEEL_SHIM RUNC SCENARIO_TIMEOUT

source "$HERE/lib/common.sh"
[ "$(id -u)" = 0 ] || { say "the engine lane needs root (engines, namespaces, cgroups)"; exit 2; }
[ -x "$KEEL" ] || { say "no keel at $KEEL: run make first"; exit 2; }

# The packages of the engines asked for: in a QEMU guest (make test-checkpoint, test-systemd) the
# host's, which the guest cannot install, and which the Makefile target installs first.
declare -A ENGINE_PACKAGES=([containerd]=containerd [podman]=podman [docker]=docker.io [rootless]=podman)
packages="busybox-static runc"
for engine in $ENGINES; do packages+=" ${ENGINE_PACKAGES[$engine]:-}"; done
bash "$REPO/test/host/ensure-packages.sh" $packages || exit 2

# A caller's pipe inherited above fd 2 would be held open by the daemons started here.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
done

T=$(mktemp -d /tmp/keel-engines.XXXXXX)
export T
mkdir -p "$T/logs"
# Engines leave files in their caller's directory (conmon writes "oom" there when a container is
# OOM-killed): the lane's directory is $T.
cd "$T" || exit 2
LANE_STARTED=$SECONDS

export IMAGE_TAR=$T/busybox.tar IMAGE_REF=localhost/keel-lane/busybox:latest
for engine in $ENGINES; do source "$HERE/lib/$engine.sh" || exit 2; done
source "$HERE/lib/host-cleanup.sh"
snapshot_host
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -n "${SCENARIO_PID:-}" ] && kill -TERM "$SCENARIO_PID" 2>/dev/null && wait "$SCENARIO_PID"
  for engine in $ENGINES; do "${engine}_stop" >>"$T/logs/stop.log" 2>&1; done
  cleanup_host
  [ "${KEEP:-0}" = 1 ] && say "logs kept in $T/logs" && cp -r "$T/logs" "$T.logs"
  rm -rf --one-file-system "$T"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$HERE/lib/image.sh"
build_busybox_image "$IMAGE_TAR" "$IMAGE_REF" || { say "could not build the busybox image"; exit 2; }

declare -A RESULT NOTE
BROKEN=0
run_one() { # ENGINE SCENARIO RT RT_PATH
  local key="$1/$2/$3" log="$T/logs/$1.$2.$3.log" started=$SECONDS rc
  # In the background and waited for, so that an interrupt reaches the cleanup trap at once.
  timeout -k 5 "$SCENARIO_TIMEOUT" "$HERE/scenario.sh" "$1" "$2" "$3" "$4" >"$log" 2>&1 </dev/null &
  SCENARIO_PID=$!
  wait $SCENARIO_PID
  rc=$?
  SCENARIO_PID=
  [ $rc = 124 ] && kill_runtime_calls "$4" >>"$log" 2>&1
  "${1}_reset" >>"$log" 2>&1
  if [ $rc = 0 ]; then
    RESULT[$key]=pass
  else
    RESULT[$key]=FAIL
    [ $rc = 124 ] && echo "FAIL: timed out after ${SCENARIO_TIMEOUT} s" >>"$log"
    NOTE[$key]=$(failure_line "$log")
  fi
  say "$(printf '%-10s %-22s %-5s %-4s %3ss' "$1" "$2" "$3" "${RESULT[$key]}" $((SECONDS - started)))"
}

# The line that says why: the runtime's own error as the engine relayed it, else the scenario's.
failure_line() { # LOG
  local line
  # -a: a scenario's log may hold binary output (ctr events), and grep would only say it matches.
  line=$(grep -aEo 'keel: [^|]*' "$1" | tail -1)
  [ -n "$line" ] || line=$(grep -aEo 'OCI runtime [^|]*' "$1" | tail -1)
  [ -n "$line" ] || line=$(grep -aE '^FAIL: ' "$1" | tail -1)
  printf '%s' "${line:0:200}"
}

for engine in $ENGINES; do
  say "== $engine: starting a private instance"
  if ! "${engine}_start" 2>>"$T/logs/$engine.start.log"; then
    say "$engine did not start: $(tail -3 "$T/logs/$engine.start.log")"
    BROKEN=1
    continue
  fi
  scenarios_var=${engine}_scenarios
  for scenario in ${!scenarios_var}; do
    [[ $scenario =~ $ONLY ]] || continue
    [[ -n $SKIP && $scenario =~ $SKIP ]] && continue
    for rt in "${RUNTIMES[@]}"; do
      # keel-shim is a containerd runtime, not a binary the other engines could run.
      [ "$rt" = keel-shim ] && [ "$engine" != containerd ] && continue
      # Scenarios of keel's shim alone (an engine's <engine>_keel_shim_only list).
      only_var=${engine}_keel_shim_only
      [[ " ${!only_var:-} " == *" $scenario "* ]] && [ "$rt" != keel-shim ] && continue
      path=$RUNC
      [ "$rt" = keel ] && path=$KEEL
      [ "$rt" = keel-shim ] && path=$KEEL_SHIM
      run_one "$engine" "$scenario" "$rt" "$path"
    done
  done
  "${engine}_stop" >>"$T/logs/stop.log" 2>&1
done

echo
printf '%-10s %-22s %-5s %-5s %-9s %s\n' ENGINE SCENARIO runc keel keel-shim "why keel failed"
REGRESSIONS=0
for engine in $ENGINES; do
  scenarios_var=${engine}_scenarios
  for scenario in ${!scenarios_var:-}; do
    r=${RESULT[$engine/$scenario/runc]:-} k=${RESULT[$engine/$scenario/keel]:-} s=${RESULT[$engine/$scenario/keel-shim]:--}
    [ -n "$r" ] || [ "$s" != - ] || continue
    why=${NOTE[$engine/$scenario/keel]:-}
    [ "$s" = FAIL ] && why="${why:+$why; }keel-shim: ${NOTE[$engine/$scenario/keel-shim]:-}"
    if [ -z "$r" ]; then
      # keel's shim alone: no runc column to compare with.
      r=- k=-
      [ "$s" = FAIL ] && REGRESSIONS=$((REGRESSIONS + 1))
    elif [ "$r" = FAIL ]; then
      BROKEN=1
      why="runc fails too (lane problem): ${NOTE[$engine/$scenario/runc]}"
    else
      [ "$k" = FAIL ] && REGRESSIONS=$((REGRESSIONS + 1))
      [ "$s" = FAIL ] && REGRESSIONS=$((REGRESSIONS + 1))
    fi
    printf '%-10s %-22s %-5s %-5s %-9s %s\n' "$engine" "$scenario" "$r" "$k" "$s" "$why"
  done
done
echo "lane time: $((SECONDS - LANE_STARTED)) s; scenarios passing on runc but failing on keel: $REGRESSIONS"
[ $BROKEN = 0 ] || exit 2
[ $REGRESSIONS = 0 ] || exit 1
exit 0
