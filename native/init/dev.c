/* Device nodes, symlinks and directories inside the container root. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

/* Opens the directory that will hold path's last component (made if missing), naming the step. */
static int open_parent(struct init_ctx *ctx, const char *path, const char **name)
{
	int dir = open_parent_in_root(ctx, path, name);
	if (dir < 0)
		step_failed(ctx, "open the directory of \"%.150s\" in the container root", path);
	return dir;
}

/* mknod, chmod and chown on name in dir; the failed step is named. */
static int make_node(struct init_ctx *ctx, int dir, const char *name, const struct op *op)
{
	mode_t mode = (mode_t)op_int(op, 0);
	uid_t uid = (uid_t)op_int(op, 3);
	gid_t gid = (gid_t)op_int(op, 4);
	dev_t dev = makedev((unsigned)op_int(op, 1), (unsigned)op_int(op, 2));
	int rc = mknodat(dir, name, mode, dev);
	/*
	 * config-linux.md: a file already at the path that does not match the requested device MUST
	 * be an error (the image's file is not replaced). One that matches is kept, and gets the
	 * config's mode and owner below.
	 */
	struct stat st;
	if (rc < 0 && errno == EEXIST && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		bool same = (st.st_mode & S_IFMT) == (mode & S_IFMT) && (S_ISFIFO(st.st_mode) || st.st_rdev == dev);
		if (!same)
			return errno = EEXIST, step_failed(ctx, "mknod: a file that is not this device is already there");
		rc = 0;
	}
	if (rc < 0)
		return step_failed(ctx, "mknod");
	/* mknod honours the umask; the spec's mode is meant exactly. */
	if (fchmodat(dir, name, mode & 07777, 0) < 0)
		return step_failed(ctx, "chmod %04o", (unsigned)(mode & 07777));
	if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return step_failed(ctx, "chown %u:%u", (unsigned)uid, (unsigned)gid);
	return 0;
}

int op_mknod(struct init_ctx *ctx, const struct op *op)
{
	const char *name;
	int dir = open_parent(ctx, op->strs[0], &name);
	if (dir < 0)
		return -1;
	int rc = make_node(ctx, dir, name, op);
	int saved = errno;
	close(dir);
	return errno = saved, rc;
}

int op_symlink(struct init_ctx *ctx, const struct op *op)
{
	const char *name;
	int dir = open_parent(ctx, op->strs[1], &name);
	if (dir < 0)
		return -1;
	int rc = symlinkat(op->strs[0], dir, name);
	int saved = errno;
	close(dir);
	if (rc < 0 && saved == EEXIST)
		return 0;
	return errno = saved, rc < 0 ? step_failed(ctx, "symlink") : 0;
}

/* Creates a directory and its missing parents (mode 0755, like mkdir -p). */
int op_mkdir(struct init_ctx *ctx, const struct op *op)
{
	int fd = open_in_root(ctx, op->strs[0], CREATE_DIR, true);
	if (fd < 0)
		return step_failed(ctx, "open \"%.150s\" in the container root", op->strs[0]);
	close(fd);
	return 0;
}

/*
 * As runc: stdio the engine handed over as the host's /dev/null (conmon's stdin) becomes the
 * container's own /dev/null. Left as it was, fd 0 would be a file on a mount the container does
 * not have, which CRIU cannot dump ("Can't lookup mount") and which ties the container to the host's /dev.
 */
int op_reopen_dev_null(struct init_ctx *ctx, const struct op *op)
{
	(void)op;
	struct stat null_st, st;
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return step_failed(ctx, "open /dev/null");
	if (fstat(null_fd, &null_st) < 0) {
		close(null_fd);
		return step_failed(ctx, "fstat /dev/null");
	}
	for (int fd = 0; fd < 3; fd++) {
		/* A closed stdio fd stays closed. */
		if (fstat(fd, &st) < 0)
			continue;
		if (!S_ISCHR(st.st_mode) || st.st_rdev != null_st.st_rdev)
			continue;
		/* dup3 without O_CLOEXEC: the program inherits it, as it did the one it replaces. */
		if (dup3(null_fd, fd, 0) < 0) {
			int err = errno;
			close(null_fd);
			errno = err;
			return step_failed(ctx, "dup3 /dev/null onto fd %d", fd);
		}
	}
	close(null_fd);
	return 0;
}
