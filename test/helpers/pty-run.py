"""Runs a command with a new pty as its controlling terminal and stdio, as a user at a terminal
would (`keel run` / `keel exec -t` in a shell), and plays a script against that terminal.

usage: pty-run.py ROWS COLS STEPS_JSON -- COMMAND...

STEPS_JSON is a list of steps, each one of:
  {"expect": REGEX}                  wait until the output since the previous expect matches
  {"send": TEXT}                     type TEXT
  {"resize": [ROWS, COLS]}           resize the terminal (the command gets SIGWINCH)
  {"send": TEXT, "until": REGEX}     type TEXT every 0.5 s until the output matches
Prints one JSON object: the command's exit code, everything the terminal showed, and whether
the terminal's settings after the command were the ones it had before (raw mode undone).
"""
import fcntl
import json
import os
import re
import select
import struct
import sys
import termios
import time

rows, cols, steps = int(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
command = sys.argv[sys.argv.index("--") + 1:]

master, slave = os.openpty()
fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
before = termios.tcgetattr(slave)
pid = os.fork()
if pid == 0:
    os.setsid()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.close(master)
    os.close(slave)
    os.execvp(command[0], command)

out = b""
mark = 0
status = None
deadline = time.time() + 30


def pump(timeout):
    """Reads what the terminal shows for up to `timeout` s; notes the command's exit."""
    global out, status
    ready, _, _ = select.select([master], [], [], timeout)
    if ready:
        try:
            out += os.read(master, 65536)
        except OSError:
            pass
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st


def wait_for(pattern, resend=None):
    global mark
    last_send = 0.0
    while time.time() < deadline:
        if resend is not None and time.time() - last_send > 0.5:
            os.write(master, resend.encode())
            last_send = time.time()
        match = re.search(pattern, out[mark:].decode(errors="replace"), re.M)
        if match:
            mark += len(out[mark:].decode(errors="replace")[: match.end()].encode())
            return True
        if status is not None:
            return False
        pump(0.1)
    return False


ok = True
for step in steps:
    if "resize" in step:
        r, c = step["resize"]
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
    elif "until" in step:
        ok = ok and wait_for(step["until"], step["send"])
    elif "send" in step:
        os.write(master, step["send"].encode())
    elif "expect" in step:
        ok = ok and wait_for(step["expect"])
while status is None and time.time() < deadline:
    pump(0.1)
if status is None:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
# What is left in the terminal after the command's exit.
while select.select([master], [], [], 0.1)[0]:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
print(json.dumps({
    "code": os.waitstatus_to_exitcode(status),
    "output": out.decode(errors="replace"),
    "steps": ok,
    "restored": termios.tcgetattr(slave) == before,
}))
