# podman container checkpoint / restore (issue #18), sourced by podman.sh when CHECKPOINT=1: only
# where `criu check` passes (make test-checkpoint's guest), since podman needs a working CRIU
# whatever the runtime. Each scenario asserts what runc does, and notes what it saw (ps, inspect,
# podman's exit codes, the counter) in words free of ids and times; keel's notes must read as
# runc's (the runner runs the runc column first).

podman_scenarios+=" checkpoint-restore checkpoint-leave-running checkpoint-export-import checkpoint-tty"

# Prints 0, 1, 2, ... to its stdout (podman's log), one number every 0.5 s.
CK_COUNTER='i=0; while :; do echo $i; i=$((i+1)); sleep 0.5; done'

ck_note() { printf '%s\n' "$*" >>"$T/ck.$CK_SCENARIO.$RT"; echo "noted: $*"; }

# keel's notes against runc's, line by line.
ck_compare() {
  [ "$RT" = runc ] && return 0
  local theirs=$T/ck.$CK_SCENARIO.runc
  [ -s "$theirs" ] || fail "no notes of runc's column to compare with (did it fail?)"
  diff -u "$theirs" "$T/ck.$CK_SCENARIO.$RT" || fail "what podman showed on $RT differs from runc: $(diff "$theirs" "$T/ck.$CK_SCENARIO.$RT" | grep '^[<>]' | tr '\n' '|')"
}

# The numbers the container printed, in order (CRs from a terminal dropped).
ck_numbers() { pm logs "$1" 2>/dev/null | tr -d '\r' | grep -Eo '^[0-9]+'; }
ck_last() { ck_numbers "$1" | tail -n1; }
ck_counts_past() { local n; n=$(ck_last "$1"); [ -n "$n" ] && [ "$n" -gt "$2" ]; }

# The container's state as podman reports it: ps's status without its age ("Up", "Exited (0)"),
# inspect's status, exit code and flags.
ck_state() { # NAME
  local ps
  ps=$(pm ps -a --filter "name=^$1\$" --format '{{.Status}}' | sed -E 's/ (Less than|About|[0-9]+) .* ago$//')
  echo "ps=$ps $(pm inspect -f 'status={{.State.Status}} exit={{.State.ExitCode}} checkpointed={{.State.Checkpointed}} restored={{.State.Restored}}' "$1")"
}

ck_start() { # NAME [RUN OPTION]...
  local name=$1 out
  shift
  out=$(pm run -d --name "$name" "$@" "$IMG" sh -c "$CK_COUNTER" 2>&1) || fail "run -d: $out"
  eventually 30 ck_counts_past "$name" 2 || fail "$name does not count: $(pm logs "$name" 2>&1 | tail -3 | tr '\n' '|')"
}

# Every number the container printed is the one before plus one, from 0: nothing restarted, none lost.
ck_consecutive() { # NAME
  local expect=0 n
  for n in $(ck_numbers "$1"); do
    [ "$n" = "$expect" ] || fail "$1's counter went from $((expect - 1)) to $n: $(ck_numbers "$1" | tr '\n' ' ' | tail -c 200)"
    expect=$((n + 1))
  done
}

ck_checkpoint() { # WHAT NAME [OPTION]...
  local what=$1 rc out
  shift
  out=$(pm container checkpoint "$@" 2>&1)
  rc=$?
  echo "$out"
  ck_note "$what: exit $rc"
  [ $rc = 0 ] || fail "container checkpoint $*: $out"
}

ck_restore() { # WHAT [OPTION]... NAME
  local what=$1 rc out
  shift
  out=$(pm container restore "$@" 2>&1)
  rc=$?
  echo "$out"
  ck_note "$what: exit $rc"
  [ $rc = 0 ] || fail "container restore $*: $out"
}

# The counter goes on after a restore: past where it was saved, in order.
ck_goes_on() { # NAME SAVED
  eventually 30 ck_counts_past "$1" $(($2 + 2)) || fail "$1 does not count on after the restore (last: $(ck_last "$1"), saved at $2)"
  ck_note "counter: goes on past the checkpoint"
}

# Checkpointed, the container has exited (its counter stands still); restored, it counts on from
# the next number, with nothing lost or repeated in its log.
sc_podman_checkpoint-restore() {
  CK_SCENARIO=checkpoint-restore
  local name=ckr-$RT saved
  ck_start "$name"
  ck_checkpoint checkpoint "$name"
  ck_note "after checkpoint: $(ck_state "$name")"
  saved=$(ck_last "$name")
  sleep 1.5
  [ "$(ck_last "$name")" = "$saved" ] || fail "the counter went on after the checkpoint ($saved, then $(ck_last "$name"))"
  ck_restore restore "$name"
  ck_note "after restore: $(ck_state "$name")"
  ck_goes_on "$name" "$saved"
  ck_consecutive "$name"
  pm rm -f -t 0 "$name" >/dev/null
  ck_compare
}

# --leave-running: the same process goes on counting, with nothing lost or repeated.
sc_podman_checkpoint-leave-running() {
  CK_SCENARIO=checkpoint-leave-running
  local name=ckl-$RT pid saved
  ck_start "$name"
  pid=$(pm inspect -f '{{.State.Pid}}' "$name")
  ck_checkpoint leave-running "$name" --leave-running
  ck_note "after checkpoint --leave-running: $(ck_state "$name")"
  [ "$(pm inspect -f '{{.State.Pid}}' "$name")" = "$pid" ] || fail "the init changed: $pid before, $(pm inspect -f '{{.State.Pid}}' "$name") after"
  saved=$(ck_last "$name")
  ck_goes_on "$name" "$saved"
  ck_consecutive "$name"
  pm rm -f -t 0 "$name" >/dev/null
  ck_compare
}

# --export to a tarball, --import as a new container (a new id, bundle and rootfs): it counts on
# from where the first one was saved; the first stays checkpointed.
sc_podman_checkpoint-export-import() {
  CK_SCENARIO=checkpoint-export-import
  local name=cke-$RT saved tar=$T/cke-$RT.tar n
  ck_start "$name"
  ck_checkpoint export "$name" --export "$tar"
  [ -s "$tar" ] || fail "no tarball at $tar"
  ck_note "tarball holds: $(tar -tf "$tar" | grep -E '^(checkpoint/(inventory.img|descriptors.json)|config.dump|spec.dump)$' | sort | tr '\n' ' ')"
  saved=$(ck_last "$name")
  ck_restore import --import "$tar" --name "$name-2"
  ck_note "imported: $(ck_state "$name-2")"
  [ "$(pm inspect -f '{{.Id}}' "$name-2")" != "$(pm inspect -f '{{.Id}}' "$name")" ] || fail "the import has the first container's id"
  ck_goes_on "$name-2" "$saved"
  # The import's first number after the ones it brought along is the next one.
  n=$(ck_numbers "$name-2" | awk -v s="$saved" '$1 > s' | head -n1)
  [ "$n" = $((saved + 1)) ] || fail "the import went on at $n, after $saved"
  ck_note "first container: $(ck_state "$name")"
  pm rm -f -t 0 "$name" "$name-2" >/dev/null
  ck_compare
}

# A container with a terminal (run -t): its processes come back on a new pty whose master conmon
# receives over its console socket; the counter goes on in its log.
sc_podman_checkpoint-tty() {
  CK_SCENARIO=checkpoint-tty
  local name=ckt-$RT saved
  ck_start "$name" -t
  ck_checkpoint checkpoint "$name"
  saved=$(ck_last "$name")
  ck_restore restore "$name"
  ck_note "after restore: $(ck_state "$name")"
  ck_goes_on "$name" "$saved"
  ck_note "the init's stdin: $(pm exec "$name" readlink /proc/1/fd/0 2>&1)"
  pm rm -f -t 0 "$name" >/dev/null
  ck_compare
}
