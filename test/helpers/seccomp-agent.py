"""A seccomp agent, as the runtime-spec describes one: listen at listenerPath, receive the
container process state (JSON) with the notify fd (SCM_RIGHTS), write the state to a file, then
answer each notified mkdir/mkdirat: a path with "refused" in it gets EXDEV, any other goes on to
the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE). Ends when every process under the filter is gone."""
import fcntl
import json
import os
import select
import socket
import struct
import sys

path, state_file = sys.argv[1], sys.argv[2]

# linux/seccomp.h: struct seccomp_notif is 80 bytes, struct seccomp_notif_resp 24; ioctl type '!'.
NOTIF_SIZE, RESP_SIZE = 80, 24
IOCTL_RECV = (3 << 30) | (NOTIF_SIZE << 16) | (ord("!") << 8) | 0
IOCTL_SEND = (3 << 30) | (RESP_SIZE << 16) | (ord("!") << 8) | 1
FLAG_CONTINUE = 1
NR_MKDIR, NR_MKDIRAT = 83, 258  # x86_64
EXDEV = 18

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("listening", flush=True)
server.settimeout(20)
conn, _ = server.accept()
payload, fds, _, _ = socket.recv_fds(conn, 65536, 1)
conn.close()
with open(state_file, "w") as f:
    json.dump({"state": json.loads(payload), "fds": len(fds)}, f)
notify = fds[0]

answered = 0
poller = select.poll()
poller.register(notify, select.POLLIN)
while True:
    events = poller.poll(20_000)
    if not events:
        break
    if events[0][1] & select.POLLHUP and not events[0][1] & select.POLLIN:
        break
    buf = bytearray(NOTIF_SIZE)
    try:
        fcntl.ioctl(notify, IOCTL_RECV, buf)
    except OSError:
        continue  # the caller went away before we read it
    notif_id, pid, _flags, nr, _arch, _ip = struct.unpack_from("<QIIiIQ", buf, 0)
    args = struct.unpack_from("<6Q", buf, 32)
    addr = args[0] if nr == NR_MKDIR else args[1] if nr == NR_MKDIRAT else None
    target = b""
    if addr is not None:
        try:
            with open(f"/proc/{pid}/mem", "rb") as mem:
                mem.seek(addr)
                target = mem.read(4096).split(b"\0", 1)[0]
        except OSError:
            pass
    if b"refused" in target:
        resp = struct.pack("<QqiI", notif_id, 0, -EXDEV, 0)
    else:
        resp = struct.pack("<QqiI", notif_id, 0, 0, FLAG_CONTINUE)
    try:
        fcntl.ioctl(notify, IOCTL_SEND, bytearray(resp))
        answered += 1
    except OSError:
        pass
print("answered", answered, flush=True)
