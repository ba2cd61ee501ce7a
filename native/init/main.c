/*
 * keel-init: runs a container plan. keel starts it (from a sealed memfd copy) with the plan on
 * the sync socket whose number is argv[1]. It is a fresh, single-threaded process, unlike Node,
 * so it may join namespaces and use libc freely. Ops run in order; the first failure is reported
 * to keel as (op index, errno, detail) and ends the process.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "init.h"

static const op_handler handlers[OP_MAX] = {
	[OP_SETNS] = op_setns,
	[OP_UNSHARE] = op_unshare,
	[OP_SYNC] = op_sync,
	[OP_FORK_INIT] = op_fork_init,
	[OP_SET_IDS] = op_set_ids,
	[OP_PREPARE_ROOTFS] = op_prepare_rootfs,
	[OP_MOUNT] = op_mount,
	[OP_MKNOD] = op_mknod,
	[OP_SYMLINK] = op_symlink,
	[OP_MKDIR] = op_mkdir,
	[OP_PIVOT_ROOT] = op_pivot_root,
	[OP_CHROOT] = op_chroot,
	[OP_REMOUNT] = op_remount,
	[OP_SET_PROPAGATION] = op_set_propagation,
	[OP_MASK_PATH] = op_mask_path,
	[OP_READONLY_PATH] = op_readonly_path,
	[OP_SETHOSTNAME] = op_sethostname,
	[OP_SETDOMAINNAME] = op_setdomainname,
	[OP_WRITE_FILE] = op_write_file,
	[OP_SETRLIMIT] = op_setrlimit,
	[OP_UMASK] = op_umask,
	[OP_CHDIR] = op_chdir,
	[OP_SET_USER] = op_set_user,
	[OP_CAPS] = op_caps,
	[OP_NO_NEW_PRIVS] = op_no_new_privs,
	[OP_SECCOMP] = op_seccomp,
	[OP_RESOLVE_EXEC] = op_resolve_exec,
	[OP_WAIT_START] = op_wait_start,
	[OP_EXEC] = op_exec,
	[OP_SETSID] = op_setsid,
	[OP_BOUNDING_SET] = op_bounding_set,
	[OP_NOT_DUMPABLE] = op_not_dumpable,
	[OP_CONSOLE] = op_console,
	[OP_RUN_HOOK] = op_run_hook,
	[OP_SCHEDULER] = op_scheduler,
	[OP_IOPRIO] = op_ioprio,
	[OP_PERSONALITY] = op_personality,
	[OP_PREPARE_EXEC] = op_prepare_exec,
	[OP_SESSION_KEYRING] = op_session_keyring,
	[OP_MOUNT_SETATTR] = op_mount_setattr,
	[OP_IDMAP_PREPARE] = op_idmap_prepare,
	[OP_MOUNT_IDMAPPED] = op_mount_idmapped,
	[OP_CPU_AFFINITY] = op_cpu_affinity,
	[OP_MEMORY_POLICY] = op_memory_policy,
	[OP_NETLINK_HOST] = op_netlink_host,
	[OP_NET_DEVICE] = op_net_device,
	[OP_LOOPBACK_UP] = op_loopback_up,
	[OP_REOPEN_DEV_NULL] = op_reopen_dev_null,
};

/*
 * The steps that can still fail once `keel start` has returned, in the words of the line a
 * failure writes to the container's stderr (keel words the others from the plan: ops.ts).
 */
static const char *const late_steps[OP_MAX] = {
	[OP_WAIT_START] = "wait for keel start",
	[OP_RUN_HOOK] = "run a startContainer hook",
	[OP_WRITE_FILE] = "set the security label",
	[OP_PREPARE_EXEC] = "close keel's fds before exec",
	[OP_CAPS] = "set the capabilities",
	[OP_NO_NEW_PRIVS] = "set no_new_privs",
	[OP_SECCOMP] = "install the seccomp filter",
	[OP_EXEC] = "exec",
};

/*
 * After `start`, nobody may be reading the sync socket (keel start has returned): the failure
 * goes to the container's stderr, as runc's does, so that a container never dies without a word.
 * Where keel still listens (a foreground run, keel exec) keel says it, and this stays quiet.
 */
static void report_late_failure(const struct init_ctx *ctx, const struct op *op, int err)
{
	if (!ctx->started || ctx->keel_listens)
		return;
	char reason[128];
	snprintf(reason, sizeof(reason), "%s", strerror(err));
	reason[0] = (char)tolower((unsigned char)reason[0]);
	const char *step = op && op->code < OP_MAX && late_steps[op->code] ? late_steps[op->code] : "set up the process";
	/* For exec, the detail names the program and stands in for the step's name. */
	bool detail_is_step = op && op->code == OP_EXEC && ctx->detail[0];
	const char *hint = ctx->filtered && (err == EPERM || err == EACCES || err == ENOSYS)
				   ? " (after the seccomp filter was installed: the container's profile may deny this call)"
				   : "";
	/* A hook that ran and failed (its exit status, its timeout) is a sentence of its own, as in init-errors.ts. */
	bool hook_verdict = op && op->code == OP_RUN_HOOK && ctx->detail[0] && (err == ECANCELED || err == ETIMEDOUT);
	if (hook_verdict)
		dprintf(STDERR_FILENO, "keel: %s: %s\n", step, ctx->detail);
	else if (detail_is_step)
		dprintf(STDERR_FILENO, "keel: %s: %s%s\n", ctx->detail, reason, hint);
	else if (ctx->detail[0])
		dprintf(STDERR_FILENO, "keel: %s (%s): %s%s\n", step, ctx->detail, reason, hint);
	else
		dprintf(STDERR_FILENO, "keel: %s: %s%s\n", step, reason, hint);
}

static unsigned char *receive_plan(int fd, size_t *len)
{
	char peek;
	ssize_t n = recv(fd, &peek, 1, MSG_PEEK | MSG_TRUNC);
	if (n <= 0)
		return NULL;
	unsigned char *buf = malloc((size_t)n);
	if (!buf || recv(fd, buf, (size_t)n, 0) != n)
		return NULL;
	*len = (size_t)n;
	return buf;
}

static void fail(struct init_ctx *ctx, const struct op *op, int index, int err, const char *detail)
{
	report_late_failure(ctx, op, err);
	sync_send(ctx, MSG_ERROR, index, err, 0, detail);
	if (ctx->fifo_fd >= 0)
		(void)!write(ctx->fifo_fd, "F", 1); /* after `start`: its program never ran */
	_exit(1);
}

int main(int argc, char **argv)
{
	struct init_ctx ctx = { .sync_fd = -1, .root_fd = -1, .fifo_fd = -1 };
	struct op *ops;
	uint32_t count;
	size_t len;

	if (argc < 2)
		return 2;
	/*
	 * Die with keel: a `create` killed half-way must not leave this process behind. (The container
	 * init, forked later, does not inherit this; it watches the sync socket instead. A change of
	 * credentials, as entering a user namespace, clears it too; the socket then does the job.)
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	ctx.sync_fd = atoi(argv[1]);
	unsigned char *plan = receive_plan(ctx.sync_fd, &len);
	if (!plan)
		fail(&ctx, NULL, -1, errno ? errno : EPROTO, "cannot read the plan");
	if (plan_decode(plan, len, &ops, &count) < 0)
		fail(&ctx, NULL, -1, errno, "malformed plan");
	sync_send(&ctx, MSG_PLAN_OK, -1, 0, getpid(), NULL);

	for (uint32_t i = 0; i < count; i++) {
		const struct op *op = &ops[i];
		if (op->code >= OP_MAX || !handlers[op->code])
			fail(&ctx, op, (int)i, ENOSYS, "unknown op");
		ctx.detail[0] = '\0';
		errno = 0;
		if (handlers[op->code](&ctx, op) < 0)
			fail(&ctx, op, (int)i, errno ? errno : EIO, ctx.detail[0] ? ctx.detail : NULL);
	}
	/* A plan always ends in OP_EXEC; reaching here means it did not. */
	fail(&ctx, NULL, (int)count, EINVAL, "plan ended without exec");
}
