"""A --console-socket peer, as containerd's shim or conmon is: receive the pty master, type a
command into it, and print what the terminal shows until the marker "DONE" appears."""
import os
import select
import socket
import sys
import time

path, command = sys.argv[1], sys.argv[2]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
print("listening", flush=True)
conn, _ = server.accept()
name, fds, _, _ = socket.recv_fds(conn, 1024, 1)
master = fds[0]
print("pty", name.decode(), flush=True)
os.write(master, command.encode() + b"\n")
out = b""
deadline = time.time() + 10
while time.time() < deadline and b"DONE" not in out:
    ready, _, _ = select.select([master], [], [], 0.2)
    if ready:
        try:
            out += os.read(master, 4096)
        except OSError:
            break
sys.stdout.write(out.decode(errors="replace"))
