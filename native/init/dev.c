/* Device nodes, symlinks and directories inside the container root. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "init.h"

int op_mknod(struct init_ctx *ctx, const struct op *op)
{
	const char *name;
	mode_t mode = (mode_t)op_int(op, 0);
	int dir = open_parent_in_root(ctx, op->strs[0], &name);
	if (dir < 0)
		return -1;
	dev_t dev = makedev((unsigned)op_int(op, 1), (unsigned)op_int(op, 2));
	int rc = mknodat(dir, name, mode, dev);
	/*
	 * config-linux.md: a file already at the path that does not match the requested device MUST
	 * be an error (the image's file was replaced before). One that matches is kept, and gets the
	 * config's mode and owner below.
	 */
	struct stat st;
	if (rc < 0 && errno == EEXIST && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		bool same = (st.st_mode & S_IFMT) == (mode & S_IFMT) && (S_ISFIFO(st.st_mode) || st.st_rdev == dev);
		if (same)
			rc = 0;
		else
			errno = EEXIST;
	}
	/* mknod honours the umask; the spec's mode is meant exactly. */
	if (rc == 0)
		rc = fchmodat(dir, name, mode & 07777, 0);
	if (rc == 0)
		rc = fchownat(dir, name, (uid_t)op_int(op, 3), (gid_t)op_int(op, 4), AT_SYMLINK_NOFOLLOW);
	int saved = errno;
	close(dir);
	return errno = saved, rc;
}

int op_symlink(struct init_ctx *ctx, const struct op *op)
{
	const char *name;
	int dir = open_parent_in_root(ctx, op->strs[1], &name);
	if (dir < 0)
		return -1;
	int rc = symlinkat(op->strs[0], dir, name);
	int saved = errno;
	close(dir);
	if (rc < 0 && saved == EEXIST)
		return 0;
	return errno = saved, rc;
}

/* Creates a directory and its missing parents (mode 0755, like mkdir -p). */
int op_mkdir(struct init_ctx *ctx, const struct op *op)
{
	int fd = open_in_root(ctx, op->strs[0], CREATE_DIR, true);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}
