# Scenarios that podman and the docker CLI share (their run/exec/stop/pause verbs take the same
# flags). The engine's lib defines: $ENG, the name of its client function; $RUN_OPTS, the
# options every `run` gets (docker: the runtime and --network none); $IMG, the loaded image.

cli_scenarios="run-rm exit-codes detach-stop-rm pid-host it exec exec-it pause-unpause memory pids-limit volume tmpfs read-only user cap-drop env hostname stats"

# A detached `sleep` container to act on, named $NAME, with extra run OPTIONS.
cli_detached() { # NAME OPTIONS...
  NAME=$1
  shift
  local out
  out=$($ENG run -d --name "$NAME" $RUN_OPTS "$@" "$IMG" sleep 300 2>&1) || fail "run -d: $out"
  eventually 10 cli_status_is "$NAME" running || fail "$NAME is not running: $($ENG ps -a 2>&1 | tr '\n' '|')"
}

cli_status_is() { [ "$($ENG inspect -f '{{.State.Status}}' "$1" 2>/dev/null)" = "$2" ]; }

cli_run-rm() {
  local out rc
  out=$($ENG run --rm --name "rr-$RT" $RUN_OPTS "$IMG" echo hello 2>&1)
  rc=$?
  expect_rc 0 $rc "run --rm"
  expect_line '^hello$' "$out" "run --rm output"
  [ -z "$($ENG ps -aq --filter "name=rr-$RT")" ] || fail "run --rm left its container behind"
}

cli_exit-codes() {
  local out rc
  out=$($ENG run --rm $RUN_OPTS "$IMG" sh -c 'exit 7' 2>&1)
  rc=$?
  expect_rc 7 $rc "run of 'exit 7'"
  out=$($ENG run --rm $RUN_OPTS "$IMG" /no/such/program 2>&1)
  rc=$?
  expect_rc 127 $rc "run of a missing program"
  expect_line '/no/such/program' "$out" "error for a missing program"
  echo "the engine relayed: $out"
}

cli_detach-stop-rm() {
  cli_detached "dsr-$RT"
  local out
  # sleep as PID 1 ignores TERM: stop falls back to KILL after its 2 s grace time.
  out=$($ENG stop -t 2 "$NAME" 2>&1) || fail "stop: $out"
  cli_status_is "$NAME" exited || fail "not exited after stop: $($ENG inspect -f '{{.State.Status}}' "$NAME" 2>&1)"
  out=$($ENG inspect -f '{{.State.ExitCode}}' "$NAME" 2>&1)
  expect_line '^137$' "$out" "exit code after stop"
  out=$($ENG rm "$NAME" 2>&1) || fail "rm: $out"
  [ -z "$($ENG ps -aq --filter "name=$NAME")" ] || fail "rm left the container"
}

# In the host's PID namespace a container's children outlive its init; when the init exits, the
# engine has the runtime signal what is left in the container (`kill --all` on a stopped container).
cli_pid-host() {
  NAME=ph-$RT
  local out pid leftover p
  out=$($ENG run -d --name "$NAME" --pid host $RUN_OPTS "$IMG" sh -c 'sleep 302 & sleep 3' 2>&1) || fail "run -d --pid host: $out"
  pid=$($ENG inspect -f '{{.State.Pid}}' "$NAME")
  eventually 5 pid_with_cmdline_under "$pid" 'sleep 302' || fail "the background sleep did not start"
  leftover=$(pid_with_cmdline_under "$pid" 'sleep 302')
  eventually 15 cli_status_is "$NAME" exited || fail "the container did not exit with its init"
  eventually 5 process_gone "$leftover" 'sleep 302' || fail "the init's child $leftover (sleep 302) outlived the container"
}

cli_it() {
  local out
  out=$(on_terminal $'tty\necho $((6*7))\nexit 4\n' "$ENG run --rm -it $RUN_OPTS $IMG sh; echo status \$?" 2>&1)
  expect_line '^/dev/pts/[0-9]+$' "$out" "tty in run -it"
  expect_line '^42$' "$out" "answer from the interactive shell"
  expect_line '^status 4$' "$out" "exit status of run -it"
}

cli_exec() {
  cli_detached "ex-$RT"
  local out rc
  out=$($ENG exec -e WHO=exec "$NAME" sh -c 'echo $WHO in $(cat /proc/1/comm); exit 5' 2>&1)
  rc=$?
  expect_line '^exec in sleep$' "$out" "exec output"
  expect_rc 5 $rc "exec"
}

cli_exec-it() {
  cli_detached "exit-$RT"
  local out
  out=$(on_terminal $'tty\nexit 6\n' "$ENG exec -it $NAME sh; echo status \$?" 2>&1)
  expect_line '^/dev/pts/[0-9]+$' "$out" "tty in exec -it"
  expect_line '^status 6$' "$out" "exit status of exec -it"
}

cli_pause-unpause() {
  cli_detached "pu-$RT"
  local out
  out=$($ENG pause "$NAME" 2>&1) || fail "pause: $out"
  cli_status_is "$NAME" paused || fail "not paused: $($ENG inspect -f '{{.State.Status}}' "$NAME" 2>&1)"
  out=$($ENG unpause "$NAME" 2>&1) || fail "unpause: $out"
  cli_status_is "$NAME" running || fail "not running after unpause: $($ENG inspect -f '{{.State.Status}}' "$NAME" 2>&1)"
}

cli_memory() {
  local out rc
  # dd touches its whole buffer: 8 MiB fits in 32 MiB, 64 MiB gets the OOM killer.
  out=$($ENG run --rm --memory 32m $RUN_OPTS "$IMG" sh -c 'dd if=/dev/zero of=/dev/null bs=8M count=1 && echo small ok; dd if=/dev/zero of=/dev/null bs=64M count=1; echo big rc $?' 2>&1)
  rc=$?
  expect_line '^small ok$' "$out" "8 MiB under a 32 MiB limit"
  expect_line '^big rc 137$' "$out" "64 MiB under a 32 MiB limit (want OOM kill)"
  expect_rc 0 $rc "run --memory"
}

cli_pids-limit() {
  local out
  out=$($ENG run --rm --pids-limit 5 $RUN_OPTS "$IMG" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo forked all' 2>&1)
  expect_line "can't fork" "$out" "fork beyond --pids-limit 5"
  expect_no_line '^forked all$' "$out" "fork beyond --pids-limit 5"
}

cli_volume() {
  local dir=$T/volume-$ENG-$RT out
  mkdir -p "$dir"
  echo from-host >"$dir/in"
  out=$($ENG run --rm -v "$dir:/data" $RUN_OPTS "$IMG" sh -c 'cat /data/in; echo from-container >/data/out' 2>&1) || fail "run -v: $out"
  expect_line '^from-host$' "$out" "host file read through -v"
  [ "$(cat "$dir/out" 2>/dev/null)" = from-container ] || fail "the container's write did not reach the host"
}

cli_tmpfs() {
  local out
  out=$($ENG run --rm --tmpfs /scratch:size=1m,noexec $RUN_OPTS "$IMG" sh -c 'grep " /scratch " /proc/mounts' 2>&1)
  expect_line '^tmpfs /scratch tmpfs .*noexec.*size=1024k' "$out" "the --tmpfs mount"
}

cli_read-only() {
  local out
  out=$($ENG run --rm --read-only $RUN_OPTS "$IMG" sh -c 'touch /file; echo rc $?' 2>&1)
  expect_line 'Read-only file system' "$out" "write to / under --read-only"
  expect_line '^rc 1$' "$out" "touch under --read-only"
}

cli_user() {
  local out
  out=$($ENG run --rm --user 1000:1000 $RUN_OPTS "$IMG" sh -c 'echo $(id -u):$(id -g); touch /root/x' 2>&1)
  expect_line '^1000:1000$' "$out" "ids under --user 1000:1000"
  expect_line 'Permission denied' "$out" "uid 1000 writing to /root"
}

cli_cap-drop() {
  local out
  out=$($ENG run --rm --cap-drop ALL $RUN_OPTS "$IMG" sh -c 'grep -E "^Cap(Eff|Bnd)" /proc/self/status' 2>&1)
  expect_line '^CapEff:[[:space:]]+0+$' "$out" "effective capabilities under --cap-drop ALL"
  expect_line '^CapBnd:[[:space:]]+0+$' "$out" "bounding set under --cap-drop ALL"
}

cli_env() {
  local out
  out=$($ENG run --rm -e FOO=bar -e EMPTY= $RUN_OPTS "$IMG" sh -c 'echo "FOO=$FOO EMPTY=[$EMPTY]"' 2>&1)
  expect_line '^FOO=bar EMPTY=\[\]$' "$out" "environment from -e"
}

cli_hostname() {
  local out
  out=$($ENG run --rm --hostname keel-host $RUN_OPTS "$IMG" sh -c 'hostname; cat /etc/hostname' 2>&1)
  expect_line '^keel-host$' "$out" "hostname from --hostname"
}

cli_stats() {
  cli_detached "st-$RT" --memory 64m
  local out
  out=$($ENG stats --no-stream --format '{{.MemUsage}} pids {{.PIDs}}' "$NAME" 2>&1) || fail "stats: $out"
  expect_line '/ (64MiB|67\.1[0-9]?MB)' "$out" "the 64 MiB limit in stats"
  # The container's cgroup holds its sleep alone; more means the engine measured another cgroup.
  expect_line 'pids 1$' "$out" "the container's process count in stats"
}

# Defines sc_<engine>_<scenario> for each shared scenario.
define_cli_scenarios() { # ENGINE
  local s
  for s in $cli_scenarios; do eval "sc_$1_$s() { cli_$s; }"; done
}
