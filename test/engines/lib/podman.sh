# podman 4.3 (Debian) with the cgroupfs manager, all its state and config under $T/podman. The
# runtime under test is `podman --runtime <path>`: podman names the runtime after the path's
# basename and passes it no --root, so keel keeps its state in its default root, /run/keel.

PM=$T/podman

pm() {
  env -i PATH="$SERVICE_PATH" HOME=/root TERM="${TERM:-dumb}" TMPDIR="$PM/tmp" CONTAINERS_CONF="$PM/containers.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" \
    CONTAINERS_REGISTRIES_CONF="$PM/registries.conf" \
    podman --root "$PM/root" --runroot "$PM/runroot" --tmpdir "$PM/libpod" --cgroup-manager=cgroupfs \
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
cgroup_manager = "cgroupfs"
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
