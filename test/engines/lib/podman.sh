# podman 4.3 (Debian) with the cgroupfs manager (CGROUP_MANAGER=systemd: systemd's, where systemd
# is PID 1, as make test-systemd runs it), all its state and config under $T/podman. The
# runtime under test is `podman --runtime <path>`: podman names the runtime after the path's
# basename and passes it no --root, so keel keeps its state in its default root, /run/keel.

PM=$T/podman
CGROUP_MANAGER=${CGROUP_MANAGER:-cgroupfs}
export CGROUP_MANAGER

pm() {
  env -i PATH="$SERVICE_PATH" HOME=/root TERM="${TERM:-dumb}" TMPDIR="$PM/tmp" CONTAINERS_CONF="$PM/containers.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="$PM/registries.conf" \
    podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/libpod" --cgroup-manager="$CGROUP_MANAGER" \
    --events-backend=file --network-config-dir "$PM/net" --storage-driver overlay \
    ${RT_PATH:+--runtime "$RT_PATH"} "$@"
}
export -f pm
export PM

# Without CAP_SYS_RESOURCE (this machine kind) no runtime can raise a container's RLIMIT_NOFILE
# above its own hard limit, and podman asks for 1048576 by default; podman also lowers its own
# RLIMIT_NPROC to 32768. Containers get limits the host can give.
podman_default_ulimits() {
  local bounding
  bounding=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
  (( (0x$bounding >> 24) & 1 )) && return   # CAP_SYS_RESOURCE is bit 24
  echo "default_ulimits = [\"nofile=$(ulimit -Hn):$(ulimit -Hn)\", \"nproc=32768:32768\"]"
}

podman_start() {
  mkdir -p "$PM"/{root,runroot,libpod,tmp,net}
  cat >"$PM/containers.conf" <<CONF
[containers]
netns = "none"
$(podman_default_ulimits)
[engine]
cgroup_manager = "$CGROUP_MANAGER"
events_logger = "file"
events_logfile_path = "$PM/events.log"
lock_type = "file"
tmp_dir = "$PM/libpod"
image_copy_tmp_dir = "$PM/tmp"
# keel writes runc's JSON log lines with --log-format=json, which podman reads for the error.
runtime_supports_json = ["crun", "runc", "keel"]
[engine.runtimes]
runc = ["$RUNC"]
keel = ["$KEEL"]
CONF
  cat >"$PM/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PM/root"
runroot = "$PM/runroot"
CONF
  echo 'unqualified-search-registries = []' >"$PM/registries.conf"
  pm load -i "$IMAGE_TAR" >"$PM/load.log" 2>&1 || { say "podman load failed: $(tail -3 "$PM/load.log")"; return 1; }
}

podman_reset() {
  [ -f "$PM/containers.conf" ] || return 0
  RT_PATH='' timeout 30 bash -c 'pm rm -af -t 0' >/dev/null 2>&1
}

podman_stop() {
  podman_reset
}

ENG=pm
RUN_OPTS=
IMG=$IMAGE_REF
source "$(dirname "${BASH_SOURCE[0]}")/cli-scenarios.sh"
podman_scenarios="$cli_scenarios state-removed"
[ "$CGROUP_MANAGER" = systemd ] && podman_scenarios+=" systemd-scope"
# CHECKPOINT=1 (make test-checkpoint): podman's checkpoint and restore, where CRIU works.
[ "${CHECKPOINT:-0}" = 1 ] && source "$(dirname "${BASH_SOURCE[0]}")/podman-checkpoint.sh"
define_cli_scenarios podman

# podman passes no --root: the runtime keeps its state in its default root, /run/<runtime> for
# both runc and keel. Removing the container removes that state and the container's cgroup.
sc_podman_state-removed() {
  cli_detached "sr-$RT"
  local id pid memcg out
  id=$(pm inspect -f '{{.Id}}' "$NAME")
  pid=$(pm inspect -f '{{.State.Pid}}' "$NAME")
  memcg=$(cgroup_dir_of "$pid" memory)
  [ -d "/run/$RT/$id" ] || fail "no state dir /run/$RT/$id while the container runs"
  out=$(pm rm -f -t 0 "$NAME" 2>&1) || fail "rm -f: $out"
  [ ! -e "/run/$RT/$id" ] || fail "rm -f left /run/$RT/$id"
  [ ! -d "$memcg" ] || fail "rm -f left the container's cgroup $memcg"
}

# With systemd's cgroup manager (issue #15's "done when"): the runtime puts the container in a
# scope of machine.slice that systemd knows (libpod-<id>.scope), with --memory as its MemoryMax,
# and removing the container removes the scope.
sc_podman_systemd-scope() {
  local out id pid unit
  out=$(pm run --rm --memory 64m "$IMG" cat /sys/fs/cgroup/memory.max 2>&1) || fail "run --memory 64m: $out"
  expect_line '^67108864$' "$out" "memory.max inside the container"
  cli_detached "sd-$RT" --memory 64m
  id=$(pm inspect -f '{{.Id}}' "$NAME")
  pid=$(pm inspect -f '{{.State.Pid}}' "$NAME")
  unit=libpod-$id.scope
  out=$(systemctl status --no-pager "$unit" 2>&1)
  echo "$out"
  expect_line "Active: active" "$out" "systemctl status $unit"
  expect_line "[^0-9]$pid " "$out" "the container's init in systemctl status $unit"
  out=$(systemctl show -p MemoryMax "$unit")
  expect_line '^MemoryMax=67108864$' "$out" "the scope's MemoryMax"
  out=$(pm rm -f -t 0 "$NAME" 2>&1) || fail "rm -f: $out"
  [ -z "$(systemctl list-units --all --plain --no-legend "$unit")" ] || fail "rm -f left $unit: $(systemctl list-units --all --plain --no-legend "$unit")"
}
