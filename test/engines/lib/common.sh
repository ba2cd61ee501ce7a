# Helpers shared by the lane's runner and its scenarios.

# Engines run the runtime with their own environment, which as services is little more than this
# PATH (systemd's default): the lane starts them so, to prove keel needs nothing else.
export SERVICE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
SERVICE_ENV=(env -i PATH="$SERVICE_PATH" HOME=/root)

say() { printf '%s\n' "$*" >&2; }

# A scenario step failed: say why, on a line the runner picks up for its table, and stop the scenario.
fail() {
  printf 'FAIL: %s\n' "$*"
  exit 1
}

expect_rc() { # WANT GOT WHAT
  [ "$2" = "$1" ] || fail "$3: exit code $2, want $1"
}

expect_line() { # REGEX OUTPUT WHAT: some line of OUTPUT (CRs dropped) matches REGEX
  printf '%s\n' "$2" | tr -d '\r' | grep -Eq -- "$1" || fail "$3: no line matches /$1/ in: $(printf '%s' "$2" | tr -d '\r' | tr '\n' '|' | cut -c1-300)"
}

expect_no_line() { # REGEX OUTPUT WHAT
  ! printf '%s\n' "$2" | tr -d '\r' | grep -Eq -- "$1" || fail "$3: unexpected line matching /$1/ in: $(printf '%s' "$2" | tr -d '\r' | tr '\n' '|' | cut -c1-300)"
}

# Polls CMD... until it succeeds, for up to SECONDS (fractions allowed).
eventually() { # SECONDS CMD...
  local deadline=$((SECONDS + ${1%.*} + 1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# Runs CMD... on a terminal (engines' -t/-it modes want one), with STDIN_TEXT typed into it.
# The command runs in bash so that the engine's wrapper functions (exported) are found.
on_terminal() { # STDIN_TEXT CMD-STRING
  printf '%s' "$1" | SHELL=/bin/bash script -qec "$2" /dev/null
}

# Every descendant of PID, found by walking the parent links in /proc/<pid>/stat.
descendants_of() { # PID
  local -A kids=()
  local stat pid line rest
  for stat in /proc/[0-9]*/stat; do
    { line=$(<"$stat"); } 2>/dev/null || continue
    pid=${stat#/proc/}; pid=${pid%/stat}
    rest=${line##*) }   # after the command name, which may hold spaces: "S <ppid> ..."
    rest=${rest#* }
    kids[${rest%% *}]+="$pid "
  done
  local queue=("$1") out=() p c
  while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}; queue=("${queue[@]:1}")
    for c in ${kids[$p]:-}; do out+=("$c"); queue+=("$c"); done
  done
  echo "${out[@]:-}"
}

# The cgroup directory of PID in the v1 hierarchy or v2 tree that holds CONTROLLER.
cgroup_dir_of() { # PID CONTROLLER
  local line
  line=$(grep -E "^[0-9]+:([^:]*,)?$2(,[^:]*)?:" "/proc/$1/cgroup") && { echo "/sys/fs/cgroup/$2${line#*:*:}"; return; }
  line=$(grep -E '^0::' "/proc/$1/cgroup") && echo "/sys/fs/cgroup${line#0::}"
}

# File descriptors above 2 in an `ls -l /proc/self/fd` listing, except ls's own directory fd.
leaked_fds() { # LISTING
  printf '%s\n' "$1" | tr -d '\r' | grep -E ' ([3-9]|[1-9][0-9]+) -> ' | grep -Ev -- '-> /proc/[0-9]+/fd$'
}

# The first descendant of PID whose command line is CMDLINE (words joined by spaces).
pid_with_cmdline_under() { # PID CMDLINE
  local p
  for p in $(descendants_of "$1"); do
    [ "$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" = "$2 " ] && { echo "$p"; return 0; }
  done
  return 1
}

# PID has exited (or is a zombie, or is another program now).
process_gone() { # PID CMDLINE
  [ "$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")" != "$2 " ]
}

# Stops a daemon by its saved PID: TERM, then KILL after SECONDS.
stop_pid() { # PID SECONDS NAME
  local pid=$1 i
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < $2 * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  say "$3 (pid $pid) did not stop on TERM within $2 s: sending KILL"
  kill -KILL "$pid" 2>/dev/null
  return 0
}
