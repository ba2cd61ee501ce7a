# Rootless podman (4.3, Debian) as a plain user the lane makes: `make test-rootless`, i.e.
# ENGINES=rootless test/engines/run.sh. The user gets /etc/subuid and /etc/subgid ranges and a
# /run/user/<uid>, as a login would give; podman runs as that user with its own config in the
# user's home, and runs the runtime under test inside its user namespace (keel then runs
# rootless by its auto rule and keeps its state in $XDG_RUNTIME_DIR/keel). Everything (the
# user, its ranges, its processes, its home) goes at rootless_stop.
# This host (hybrid cgroups, no systemd) delegates no cgroups: podman runs the containers in
# none, and drops limits itself (memory-v1).

RL_USER=${RL_USER:-keellane$$}
export RL_USER

rl_home() { getent passwd "$RL_USER" | cut -d: -f6; }
rl_uid() { id -u "$RL_USER"; }

# podman as the lane's user, with a service's environment (and the user's session variables);
# in a subshell, so that its cd stays there.
pmr() (
  local home uid
  home=$(rl_home) uid=$(rl_uid)
  # The lane's cwd ($T) is root's alone; podman wants to be able to chdir back to it.
  cd "$home" && runuser -u "$RL_USER" -- env -i PATH="$SERVICE_PATH" HOME="$home" USER="$RL_USER" LOGNAME="$RL_USER" TERM="${TERM:-dumb}" \
    XDG_RUNTIME_DIR="/run/user/$uid" CONTAINERS_CONF="$home/lane/containers.conf" \
    podman --cgroup-manager=cgroupfs --events-backend=file ${RT_PATH:+--runtime "$RT_PATH"} "$@"
)
export -f pmr rl_home rl_uid

rl_edit_subids() { # drop | add START
  local f
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    sed -i "/^$RL_USER:/d" "$f"
    [ "$1" = add ] && echo "$RL_USER:$2:65536" >>"$f"
  done
}

rootless_start() {
  bash "$REPO/test/host/ensure-packages.sh" uidmap || return 1
  useradd --create-home --shell /bin/sh --user-group "$RL_USER" || return 1
  local home uid top
  home=$(rl_home) uid=$(rl_uid)
  # A range above every range the files give already.
  top=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'BEGIN {m = 300000} NF == 3 && $2 + $3 > m {m = $2 + $3} END {print m}')
  rl_edit_subids add "$top"
  install -d -o "$RL_USER" -g "$RL_USER" -m 700 "/run/user/$uid"
  install -d -o "$RL_USER" -g "$RL_USER" "$home/lane" "$home/lane/volume"
  install -o "$RL_USER" -m 644 "$IMAGE_TAR" "$home/lane/busybox.tar"
  runuser -u "$RL_USER" -- tee "$home/lane/containers.conf" >/dev/null <<CONF
[containers]
netns = "none"
$(podman_default_ulimits)
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$home/lane/events.log"
runtime_supports_json = ["crun", "runc", "keel"]
[engine.runtimes]
runc = ["$RUNC"]
keel = ["$KEEL"]
CONF
  pmr load -i "$home/lane/busybox.tar" >"$T/logs/rootless.load.log" 2>&1 || { say "podman load as $RL_USER failed: $(tail -3 "$T/logs/rootless.load.log")"; return 1; }
}

rootless_reset() {
  id "$RL_USER" >/dev/null 2>&1 || return 0
  RT_PATH='' timeout 30 bash -c 'pmr rm -af -t 0' >/dev/null 2>&1
}

rootless_stop() {
  id "$RL_USER" >/dev/null 2>&1 || return 0
  rootless_reset
  local uid
  uid=$(rl_uid)
  pkill -KILL -U "$uid" 2>/dev/null
  for _ in $(seq 50); do pgrep -U "$uid" >/dev/null || break; sleep 0.1; done
  # podman's storage holds files of the subordinate ids, which only root (or podman unshare) removes.
  rm -rf --one-file-system "$(rl_home)" "/run/user/$uid"
  userdel --force "$RL_USER" 2>/dev/null
  rl_edit_subids drop
}

# podman's default_ulimits for this host (podman.sh's, which this file shares).
source "$(dirname "${BASH_SOURCE[0]}")/podman.sh"

ENG=pmr
RUN_OPTS="--network none"
IMG=$IMAGE_REF
source "$(dirname "${BASH_SOURCE[0]}")/cli-scenarios.sh"
rootless_scenarios="run-rm exit-codes detach-stop-rm exec env hostname tmpfs read-only user cap-drop it volume-home memory-v1 state-dir"
define_cli_scenarios rootless

# A directory of the user's own, bound in: the container's root is the user, so its write is the user's.
sc_rootless_volume-home() {
  local dir out
  dir=$(rl_home)/lane/volume/$RT
  runuser -u "$RL_USER" -- sh -c "mkdir -p $dir && echo from-host >$dir/in"
  out=$(pmr run --rm -v "$dir:/data" $RUN_OPTS "$IMG" sh -c 'cat /data/in; echo from-container >/data/out' 2>&1) || fail "run -v: $out"
  expect_line '^from-host$' "$out" "host file read through -v"
  [ "$(cat "$dir/out" 2>/dev/null)" = from-container ] || fail "the container's write did not reach the host"
  [ "$(stat -c %u "$dir/out")" = "$(rl_uid)" ] || fail "the container's file belongs to uid $(stat -c %u "$dir/out"), not the user's"
}

# No delegated cgroups here (cgroup v1, no systemd): podman 4.3 itself drops the limit, says so,
# and the runtime runs the container without it.
sc_rootless_memory-v1() {
  local out rc
  out=$(pmr run --rm --memory 32m $RUN_OPTS "$IMG" echo ran 2>&1)
  rc=$?
  expect_rc 0 $rc "run --memory 32m"
  expect_line '^ran$' "$out" "the container ran"
  expect_line 'Resource limits are not supported and ignored on cgroups V1 rootless' "$out" "podman's warning"
}

# The runtime keeps its state in the user's $XDG_RUNTIME_DIR/<runtime>, never in /run/<runtime>.
sc_rootless_state-dir() {
  cli_detached "sd-$RT"
  local id uid
  id=$(pmr inspect -f '{{.Id}}' "$NAME")
  uid=$(rl_uid)
  [ -d "/run/user/$uid/$RT/$id" ] || fail "no state dir /run/user/$uid/$RT/$id while the container runs"
  [ ! -e "/run/$RT/$id" ] || fail "state in /run/$RT/$id"
  [ "$(stat -c %u "/run/user/$uid/$RT/$id")" = "$uid" ] || fail "the state dir is not the user's"
}
