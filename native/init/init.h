/* Shared state and helpers of keel-init, the process that becomes the container. */
#ifndef KEEL_INIT_H
#define KEEL_INIT_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../include/keel-plan.h"

struct op {
	uint32_t code;
	uint32_t n_ints;
	uint32_t n_strs;
	const unsigned char *ints; /* unaligned i64s inside the plan buffer */
	const char **strs;
	const uint32_t *str_lens;
};

/* clang-format off */
struct init_ctx {
	int sync_fd;
	int root_fd;            /* the container's root: the rootfs before pivot_root, "/" after */
	char exec_path[PATH_MAX];
	bool started;           /* `keel start` came: keel no longer reads the sync socket */
	int fifo_fd;            /* the exec fifo once started, until execve closes it; -1 before */
	bool cwd_entered;       /* the working directory was entered while still root */
	bool keel_listens;      /* keel reads the sync socket to the end (foreground run; exec) */
	bool filtered;          /* the seccomp filter is installed: a failure now may be its doing */
	char detail[240];       /* what went wrong, beyond errno, for the error report */
	int idmapped[KEEL_MAX_IDMAPPED]; /* detached id-mapped copies (OP_IDMAP_PREPARE), 0: none */
	int host_rtnl;          /* route netlink socket of the host's network namespace (OP_NETLINK_HOST) */
	int netdev_helper;      /* socket to the helper that moves devices from the host's namespaces */
	int netdev_helper_pid;
};
/* clang-format on */

/*
 * step.c: names the call of an op that failed, with its object ("mount --make-rslave the old
 * root"), in ctx->detail unless a deeper step already did; keeps errno and returns -1, so that a
 * handler can `return step_failed(ctx, ...)`. keel reports "<op>: <step>: <errno's words>".
 */
int step_failed(struct init_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int64_t op_int(const struct op *op, uint32_t i);

/* plan.c */
int plan_decode(const unsigned char *buf, size_t len, struct op **ops, uint32_t *count);

/* sync.c */
int sync_send(struct init_ctx *ctx, int type, int op_index, int err, int value, const char *detail);
int sync_wait_continue(struct init_ctx *ctx);
int sync_wait_for(struct init_ctx *ctx, int type);

/* resolve.c: paths inside the container root, never followed out of it */
int open_in_root(struct init_ctx *ctx, const char *path, int create_as, bool create);
int open_parent_in_root(struct init_ctx *ctx, const char *path, const char **name);
/* Fails with ELOOP where any component of path is a symlink. */
int open_in_root_without_symlinks(struct init_ctx *ctx, const char *path);
void fd_path(int fd, char *buf, size_t len);

/* copyup.c: copies a directory tree between two open directories (tmpcopyup) */
int copy_tree(int src_dir, int dst_dir);

/* Op handlers: return 0, or -1 with errno set and, in an op of several calls, the failed one named (step_failed). */
typedef int (*op_handler)(struct init_ctx *ctx, const struct op *op);
int op_setns(struct init_ctx *, const struct op *);
int op_unshare(struct init_ctx *, const struct op *);
int op_sync(struct init_ctx *, const struct op *);
int op_fork_init(struct init_ctx *, const struct op *);
int op_set_ids(struct init_ctx *, const struct op *);
int op_prepare_rootfs(struct init_ctx *, const struct op *);
int op_mount(struct init_ctx *, const struct op *);
int op_pivot_root(struct init_ctx *, const struct op *);
int op_chroot(struct init_ctx *, const struct op *);
int op_remount(struct init_ctx *, const struct op *);
int op_set_propagation(struct init_ctx *, const struct op *);
int op_mask_path(struct init_ctx *, const struct op *);
int op_readonly_path(struct init_ctx *, const struct op *);
int op_mknod(struct init_ctx *, const struct op *);
int op_symlink(struct init_ctx *, const struct op *);
int op_mkdir(struct init_ctx *, const struct op *);
int op_sethostname(struct init_ctx *, const struct op *);
int op_setdomainname(struct init_ctx *, const struct op *);
int op_write_file(struct init_ctx *, const struct op *);
int op_setrlimit(struct init_ctx *, const struct op *);
int op_umask(struct init_ctx *, const struct op *);
int op_chdir(struct init_ctx *, const struct op *);
int op_setsid(struct init_ctx *, const struct op *);
int op_set_user(struct init_ctx *, const struct op *);
int op_caps(struct init_ctx *, const struct op *);
int op_bounding_set(struct init_ctx *, const struct op *);
int op_no_new_privs(struct init_ctx *, const struct op *);
int op_not_dumpable(struct init_ctx *, const struct op *);
int op_console(struct init_ctx *, const struct op *);
int op_run_hook(struct init_ctx *, const struct op *);
int op_seccomp(struct init_ctx *, const struct op *);
int op_scheduler(struct init_ctx *, const struct op *);
int op_ioprio(struct init_ctx *, const struct op *);
int op_personality(struct init_ctx *, const struct op *);
int op_resolve_exec(struct init_ctx *, const struct op *);
int op_wait_start(struct init_ctx *, const struct op *);
int op_exec(struct init_ctx *, const struct op *);
int op_prepare_exec(struct init_ctx *, const struct op *);
int op_session_keyring(struct init_ctx *, const struct op *);
int op_mount_setattr(struct init_ctx *, const struct op *);
int op_idmap_prepare(struct init_ctx *, const struct op *);
int op_mount_idmapped(struct init_ctx *, const struct op *);
int op_cpu_affinity(struct init_ctx *, const struct op *);
int op_memory_policy(struct init_ctx *, const struct op *);
int op_netlink_host(struct init_ctx *, const struct op *);
int op_net_device(struct init_ctx *, const struct op *);
int op_loopback_up(struct init_ctx *, const struct op *);
int op_reopen_dev_null(struct init_ctx *, const struct op *);

/* mount.c: the checks of keel_mount_check on a destination resolved in the root (fd) */
int check_destination(struct init_ctx *ctx, const char *dest, int fd, int checks);

#endif
