"""A --console-socket peer that holds every pty master it receives, as conmon holds a container's
across a checkpoint and a restore, and appends what each terminal shows to a file ("[master NAME]"
when one arrives, "[hangup]" when its other side is gone), until it is terminated."""
import os
import select
import signal
import socket
import sys

path, out_path = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(4)
out = open(out_path, "ab", buffering=0)
masters = []
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
print("listening", flush=True)
while True:
    ready, _, _ = select.select([server] + masters, [], [])
    for f in ready:
        if f is server:
            conn, _ = server.accept()
            name, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            conn.close()
            out.write(b"[master " + name + b"]\n")
            masters.append(fds[0])
            continue
        try:
            data = os.read(f, 4096)
        except OSError:
            data = b""
        if data:
            out.write(data)
        else:
            masters.remove(f)
            os.close(f)
            out.write(b"[hangup]\n")
