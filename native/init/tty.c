/*
 * The container's terminal. The pty is opened inside the container (its own devpts, after
 * pivot_root), and its master goes to whoever listens on --console-socket (containerd's shim,
 * conmon, CRI-O), sent with SCM_RIGHTS and the pty's name as payload, as runc does. The slave
 * becomes the process's controlling terminal and stdio.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "init.h"
#include "../include/keel-scm.h"

int op_console(struct init_ctx *ctx, const struct op *op)
{
	int sock = (int)op_int(op, 0);
	unsigned short rows = (unsigned short)op_int(op, 1), cols = (unsigned short)op_int(op, 2);
	int unlock = 0;
	char name[64];

	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return step_failed(ctx, "open /dev/ptmx (is devpts mounted on /dev/pts?)");
	int pty_number;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return step_failed(ctx, "unlock the pty (ioctl TIOCSPTLCK)");
	if (ioctl(master, TIOCGPTN, &pty_number) < 0)
		return step_failed(ctx, "ioctl TIOCGPTN");
	snprintf(name, sizeof(name), "/dev/pts/%d", pty_number);
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave < 0)
		return step_failed(ctx, "open %s (ioctl TIOCGPTPEER)", name);
	if (rows && cols) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			return step_failed(ctx, "set the window size (ioctl TIOCSWINSZ)");
	}
	if (keel_scm_send(sock, name, strlen(name), master) < 0)
		return step_failed(ctx, "send the pty master to the console socket");
	close(master);
	close(sock);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return step_failed(ctx, "dup2 the pty onto fd %d", fd);
	if (slave > 2)
		close(slave);
	return ioctl(0, TIOCSCTTY, 0) < 0 ? step_failed(ctx, "make it the controlling terminal (ioctl TIOCSCTTY)") : 0;
}
