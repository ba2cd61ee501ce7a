# What the lane leaves on the host: nothing it did not find there. The engines write a few things
# outside $T (parent cgroups, /etc/docker/key.json, /run/docker/plugins, the runtimes' default
# roots that podman uses); what this run created is removed at the end.

HOST_PATHS="/run/keel /run/runc /etc/docker /run/docker /run/containerd"
CGROUP_PARENTS="libpod_parent docker ${CTD_NS:-keel-lane-$$}"

snapshot_host() {
  PREEXISTING=()
  local p dir
  for p in $HOST_PATHS; do [ -e "$p" ] && PREEXISTING+=("$p"); done
  for dir in /sys/fs/cgroup/*/; do
    for p in $CGROUP_PARENTS; do [ -e "$dir$p" ] && PREEXISTING+=("$dir$p"); done
  done
}

existed() { local p; for p in "${PREEXISTING[@]}"; do [ "$p" = "$1" ] && return 0; done; return 1; }

# The runtime processes (cmdline naming RUNTIME) started by this lane's engines: after a scenario
# timed out, a hung runtime call would otherwise hold up the engine's own cleanup.
kill_runtime_calls() { # RUNTIME
  local pid cmd victims=()
  for pid in $(engine_pids); do
    for pid in $pid $(descendants_of "$pid"); do
      cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
      [[ $cmd == *"$1 "* ]] && victims+=("$pid" $(descendants_of "$pid"))
    done
  done
  [ ${#victims[@]} -eq 0 ] || { say "killing runtime calls left running: ${victims[*]}"; kill -KILL "${victims[@]}" 2>/dev/null; }
}

# Processes whose command line names $T: the engines' daemons, shims and conmons.
engine_pids() {
  local pid cmd
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    [ "$pid" = $$ ] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    [[ $cmd == *"$T/"* ]] && echo "$pid"
  done
}

cleanup_host() {
  # Whatever still runs from $T (conmon, shims, dockerd's containerd, a hung runtime) and its
  # descendants (the containers' processes), by PID.
  local pid victims=()
  for pid in $(engine_pids); do victims+=("$pid" $(descendants_of "$pid")); done
  if [ ${#victims[@]} -gt 0 ]; then
    say "killing leftover processes: ${victims[*]}"
    kill -KILL "${victims[@]}" 2>/dev/null
  fi
  # Mounts under $T, deepest first.
  local mnt
  for mnt in $(awk -v t="$T" '$5 == t || index($5, t "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || say "could not unmount $mnt"
  done
  # Parent cgroups this run created (their children are gone with the containers).
  local dir p
  for dir in /sys/fs/cgroup/*/; do
    for p in $CGROUP_PARENTS; do
      [ -d "$dir$p" ] && ! existed "$dir$p" && { find "$dir$p" -depth -type d -exec rmdir {} + 2>/dev/null || say "could not remove cgroup $dir$p"; }
    done
  done
  for p in $HOST_PATHS; do
    [ -e "$p" ] && ! existed "$p" && rm -rf --one-file-system "$p"
  done
  [ -f /etc/docker/key.json ] && ! existed /etc/docker && rm -f /etc/docker/key.json
}
