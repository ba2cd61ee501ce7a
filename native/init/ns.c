/* Namespaces: join by path, create new ones, and the fork that makes the container's PID 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

int op_setns(struct init_ctx *ctx, const struct op *op)
{
	int fd = open(op->strs[0], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return step_failed(ctx, "open %.150s", op->strs[0]);
	int rc = setns(fd, (int)op_int(op, 0));
	if (rc < 0)
		step_failed(ctx, "setns");
	int saved = errno;
	close(fd);
	return errno = saved, rc;
}

int op_unshare(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	return unshare((int)op_int(op, 0));
}

int op_sync(struct init_ctx *ctx, const struct op *op)
{
	if (sync_send(ctx, MSG_SYNC, -1, 0, (int)op_int(op, 0), NULL) < 0)
		return step_failed(ctx, "send the sync message to keel");
	return sync_wait_continue(ctx);
}

/*
 * A new (or joined) PID namespace applies to children only, so the container's init is a child.
 * CLONE_PARENT makes it keel's child rather than ours: keel can then wait for its exit status
 * (`keel run`), and this process exits at once.
 */
int op_fork_init(struct init_ctx *ctx, const struct op *op)
{
	(void)op;
	/* The child waits at this gate until we have told keel its pid: keel must learn it before
	 * anything the child sends on the same socket (a loaded host may run the child first). */
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		return step_failed(ctx, "pipe2");
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		int err = errno;
		close(gate[0]);
		close(gate[1]);
		errno = err;
		return step_failed(ctx, "clone");
	}
	if (pid == 0) {
		char byte;
		close(gate[1]);
		/* EOF once the parent has sent the pid and exited (its end closes with it). */
		while (read(gate[0], &byte, 1) < 0 && errno == EINTR)
			;
		close(gate[0]);
		return 0;
	}
	close(gate[0]);
	sync_send(ctx, MSG_INIT_PID, -1, 0, pid, NULL);
	_exit(0);
}

int op_set_ids(struct init_ctx *ctx, const struct op *op)
{
	gid_t gid = (gid_t)op_int(op, 1);
	uid_t uid = (uid_t)op_int(op, 0);
	if (setresgid(gid, gid, gid) < 0)
		return step_failed(ctx, "setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return step_failed(ctx, "setresuid %u", (unsigned)uid);
	return 0;
}
