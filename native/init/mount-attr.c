/*
 * Mount attributes through the new mount API (Linux 5.12+): the recursive options (rro, rnosuid,
 * ...) with mount_setattr(AT_RECURSIVE), which changes a mount and every mount below it, where a
 * remount would change only the top one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif

static int mount_setattr(int fd, const char *path, unsigned int flags, struct mount_attr *attr)
{
	return (int)syscall(__NR_mount_setattr, fd, path, flags, attr, sizeof(*attr));
}

/* ints: attributes to set, to clear (MOUNT_ATTR_*)   strs: path (in root) */
int op_mount_setattr(struct init_ctx *ctx, const struct op *op)
{
	struct mount_attr attr = {
		.attr_set = (uint64_t)op_int(op, 0),
		.attr_clr = (uint64_t)op_int(op, 1),
	};
	int fd = open_in_root(ctx, op->strs[0], CREATE_DIR, false);
	if (fd < 0)
		return -1;
	int rc = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr);
	int saved = errno;
	close(fd);
	if (rc < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail),
			 "mount_setattr(AT_RECURSIVE, set %#llx, clear %#llx) on \"%.100s\"%s",
			 (unsigned long long)attr.attr_set, (unsigned long long)attr.attr_clr, op->strs[0],
			 saved == ENOSYS ? ": this kernel has no mount_setattr (Linux 5.12+ needed for recursive mount options)" : "");
		return errno = saved, -1;
	}
	return 0;
}
