/* Process attributes: names, files, limits, identity, privileges. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"
#include "../include/keel-scm.h"

int op_sethostname(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	return sethostname(op->strs[0], op->str_lens[0]);
}

int op_setdomainname(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	return setdomainname(op->strs[0], op->str_lens[0]);
}

int op_write_file(struct init_ctx *ctx, const struct op *op)
{
	int fd = open(op->strs[0], O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return step_failed(ctx, "open");
	ssize_t n = write(fd, op->strs[1], op->str_lens[1]);
	int saved = errno;
	close(fd);
	if (n < 0)
		return errno = saved, step_failed(ctx, "write");
	return n == (ssize_t)op->str_lens[1] ? 0 : (errno = EIO, step_failed(ctx, "write (short)"));
}

int op_setrlimit(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	struct rlimit rl = { .rlim_cur = (rlim_t)op_int(op, 1), .rlim_max = (rlim_t)op_int(op, 2) };
	return setrlimit((int)op_int(op, 0), &rl);
}

int op_umask(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	umask((mode_t)op_int(op, 0));
	return 0;
}

/* As runc: first as root; where root is refused (root squash, an unmapped owner), as the user. */
int op_chdir(struct init_ctx *ctx, const struct op *op)
{
	if (!op_int(op, 0))
		return ctx->cwd_entered ? 0 : chdir(op->strs[0]);
	if (chdir(op->strs[0]) == 0)
		return ctx->cwd_entered = true, 0;
	return errno == EACCES || errno == EPERM ? 0 : -1;
}

int op_setsid(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	(void)op;
	return setsid() < 0 ? -1 : 0;
}

/* Whether this user namespace forbids setgroups ("deny" in /proc/self/setgroups, as unshare -r leaves it). */
static bool setgroups_denied(void)
{
	char buf[16] = "";
	int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && strncmp(buf, "deny", 4) == 0;
}

/*
 * The supplementary groups are always set: to additionalGids, or to none. Left alone, keel's own
 * (whoever ran it) would reach the container. The one exception, as in runc: a joined user
 * namespace where setgroups is denied, and the config asked for no groups; nothing can change
 * them there. Capabilities survive the uid change (PR_SET_KEEPCAPS); OP_CAPS then sets them exactly.
 */
int op_set_user(struct init_ctx *ctx, const struct op *op)
{
	uid_t uid = (uid_t)op_int(op, 0);
	gid_t gid = (gid_t)op_int(op, 1);
	bool asked = op_int(op, 2) != 0;
	size_t n = asked ? op->n_ints - 3 : 0;
	gid_t groups[n ? n : 1];
	for (size_t i = 0; i < n; i++)
		groups[i] = (gid_t)op_int(op, (uint32_t)(3 + i));
	if (setgroups(n, groups) < 0) {
		if (errno != EPERM || !setgroups_denied())
			return -1;
		if (asked) {
			snprintf(ctx->detail, sizeof(ctx->detail),
				 "process.user.additionalGids cannot be set: setgroups is denied in this user namespace (/proc/self/setgroups)");
			return errno = EPERM, -1;
		}
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
}

/*
 * Drops what the bounding set must not keep, and empties the ambient set (the caller's must not
 * reach the container): both prctl calls done here, before the seccomp filter, so that OP_CAPS
 * after it needs nothing but capset (and PR_CAP_AMBIENT_RAISE when the config asks for ambient
 * capabilities).
 */
int op_bounding_set(struct init_ctx *ctx, const struct op *op)
{
	uint64_t keep = (uint64_t)op_int(op, 0);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		snprintf(ctx->detail, sizeof(ctx->detail), "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
		return -1;
	}
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		/* EINVAL: the kernel has no such capability, which leaves nothing to drop. */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
			snprintf(ctx->detail, sizeof(ctx->detail), "cannot drop capability %d from the bounding set", cap);
			return -1;
		}
	}
	return 0;
}

int op_caps(struct init_ctx *ctx, const struct op *op)
{
	uint64_t effective = (uint64_t)op_int(op, 0), permitted = (uint64_t)op_int(op, 1);
	uint64_t inheritable = (uint64_t)op_int(op, 2), ambient = (uint64_t)op_int(op, 3);
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)effective, (uint32_t)permitted, (uint32_t)inheritable },
		{ (uint32_t)(effective >> 32), (uint32_t)(permitted >> 32), (uint32_t)(inheritable >> 32) },
	};
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "capset");
		return -1;
	}
	/* The ambient set was emptied by OP_BOUNDING_SET; only what the config asks for is raised. */
	for (int cap = 0; cap < 64; cap++) {
		if (!(ambient & (1ULL << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
			snprintf(ctx->detail, sizeof(ctx->detail), "cannot raise ambient capability %d", cap);
			return -1;
		}
	}
	return 0;
}

int op_not_dumpable(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	(void)op;
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int op_no_new_privs(struct init_ctx *ctx, const struct op *op)
{
	(void)ctx;
	(void)op;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/*
 * Without no_new_privs the kernel installs a filter only for a holder of CAP_SYS_ADMIN (in its
 * user namespace). A process that becomes another uid keeps its permitted set (PR_SET_KEEPCAPS in
 * OP_SET_USER) but loses its effective one: raise it again, so that the filter can go in after
 * the user change, late, and OP_CAPS then sets the final sets.
 */
static int regain_cap_sys_admin(struct init_ctx *ctx)
{
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return 0;
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "capget");
		return -1;
	}
	if (data[0].effective & (1U << CAP_SYS_ADMIN))
		return 0;
	data[0].effective = data[0].permitted;
	data[1].effective = data[1].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "capset: raising CAP_SYS_ADMIN to install the filter without no_new_privs");
		return -1;
	}
	return 0;
}

int op_seccomp(struct init_ctx *ctx, const struct op *op)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(op->str_lens[0] / sizeof(struct sock_filter)),
		.filter = (struct sock_filter *)op->strs[0],
	};
	if (regain_cap_sys_admin(ctx) < 0)
		return -1;
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned)op_int(op, 0), &prog);
	if (rc < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "seccomp(SECCOMP_SET_MODE_FILTER)");
		return -1;
	}
	ctx->filtered = true;
	if (!op_int(op, 1))
		return 0;
	/* A listener: keel passes the notify fd on to the seccomp agent, then lets us go on. */
	int fd = (int)rc;
	if (sync_send(ctx, MSG_SYNC, -1, 0, SYNC_SECCOMP_LISTENER, NULL) < 0 || keel_scm_send(ctx->sync_fd, "", 1, fd) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "cannot hand the seccomp notify fd to keel");
		return -1;
	}
	close(fd);
	return sync_wait_continue(ctx);
}
