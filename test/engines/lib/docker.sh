# dockerd 20.10 (Debian's docker.io) with a private data root, exec root and socket, no bridge and
# no iptables rules; containers run with --network none. keel is a runtime named "keel" in the
# private daemon.json ("runtimes", as the README says); runc is docker's own default.

DK=$T/docker
DOCKER_CLI=/usr/bin/docker   # Debian's 20.10 client; another docker on the PATH may be newer

dk() { DOCKER_CONFIG="$DK/config" "$DOCKER_CLI" -H "unix://$DK/docker.sock" "$@"; }
export -f dk
export DK DOCKER_CLI

docker_start() {
  mkdir -p "$DK"/{data,exec,tmp,config}
  # keel as the README configures it: a "runtimes" entry in daemon.json.
  printf '{"runtimes": {"keel": {"path": "%s"}}}\n' "$KEEL" >"$DK/daemon.json"
  "${SERVICE_ENV[@]}" TMPDIR="$DK/tmp" setsid dockerd --config-file "$DK/daemon.json" --data-root "$DK/data" --exec-root "$DK/exec" \
    --pidfile "$DK/dockerd.pid" -H "unix://$DK/docker.sock" --bridge=none --iptables=false --ip6tables=false \
    --ip-masq=false --ip-forward=false --userland-proxy=false --exec-opt native.cgroupdriver=cgroupfs \
    --storage-driver overlay2 >"$DK/dockerd.log" 2>&1 </dev/null &
  echo $! >"$DK/pid"
  eventually 30 dk version || { say "dockerd did not answer within 30 s: $(tail -3 "$DK/dockerd.log")"; return 1; }
  dk load -i "$IMAGE_TAR" >"$DK/load.log" 2>&1 || { say "docker load failed: $(tail -3 "$DK/load.log")"; return 1; }
}

docker_reset() {
  [ -S "$DK/docker.sock" ] || return 0
  timeout 30 bash -c 'ids=$(dk ps -aq); [ -z "$ids" ] || dk rm -f $ids' >/dev/null 2>&1
}

docker_stop() {
  [ -f "$DK/pid" ] && kill -0 "$(cat "$DK/pid")" 2>/dev/null || return 0
  docker_reset
  stop_pid "$(cat "$DK/pid")" 20 dockerd
}

ENG=dk
RUN_OPTS="--runtime ${RT:-runc} --network none"
IMG=$IMAGE_REF
source "$(dirname "${BASH_SOURCE[0]}")/cli-scenarios.sh"
docker_scenarios="$cli_scenarios update"
define_cli_scenarios docker

# docker update reaches the runtime as `update --resources -` with the new limits on stdin.
sc_docker_update() {
  cli_detached "up-$RT" --memory 64m
  local pid memcg out
  pid=$(dk inspect -f '{{.State.Pid}}' "$NAME")
  memcg=$(cgroup_dir_of "$pid" memory)
  out=$(dk update --memory 48m --memory-swap 48m "$NAME" 2>&1) || fail "docker update: $out"
  out=$(cat "$memcg/memory.limit_in_bytes" "$memcg/memory.max" 2>/dev/null)
  expect_line '^50331648$' "$out" "memory limit of $memcg after docker update --memory 48m"
}
