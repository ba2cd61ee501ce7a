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

/*
 * Id-mapped bind mounts, in two steps. While keel-init is still the host's root, in the host's
 * namespaces (idmap_prepare): a user namespace with the mount's mappings (a child that only
 * unshares and waits, whose maps keel-init writes), a detached copy of the source
 * (open_tree(OPEN_TREE_CLONE)), and mount_setattr(MOUNT_ATTR_IDMAP) with that namespace and the
 * mount's flags. The copy's fd is kept in a slot; later, in the container's mount namespace,
 * mount_idmapped moves it onto the destination resolved in the root (move_mount).
 */
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif

#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int write_map(pid_t pid, const char *file, const char *map, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, map, len);
	int saved = errno;
	close(fd);
	if (n < 0)
		return errno = saved, -1;
	return n == (ssize_t)len ? 0 : (errno = EIO, -1);
}

/* A user namespace with these maps, as an fd; the child that made it is gone on return. */
static int userns_with_maps(struct init_ctx *ctx, const char *uid_map, size_t uid_len, const char *gid_map, size_t gid_len)
{
	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	pid_t child = fork();
	if (child < 0) {
		int saved = errno;
		close(ready[0]);
		close(ready[1]);
		return errno = saved, -1;
	}
	if (child == 0) {
		char ok = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause(); /* killed once its namespace is open */
	}
	close(ready[1]);
	char ok = 'n';
	int rc = read(ready[0], &ok, 1) == 1 && ok == 'y' ? 0 : -1;
	close(ready[0]);
	int fd = -1;
	if (rc < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "unshare(CLONE_NEWUSER) for an id-mapped mount failed");
		errno = EPERM;
	} else if (write_map(child, "uid_map", uid_map, uid_len) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "write uid_map of the id-mapped mount's user namespace");
	} else if (write_map(child, "gid_map", gid_map, gid_len) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "write gid_map of the id-mapped mount's user namespace");
	} else {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	int saved = errno;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return errno = saved, fd;
}

/*
 * ints: slot, recursion (1: copy the mounts below the source too (rbind), 2: id-map them too
 *       (ridmap)), MOUNT_ATTR_* to set, to clear (besides MOUNT_ATTR_IDMAP)
 * strs: source (a host path), uid_map, gid_map (the kernel's "inside outside count" lines)
 */
int op_idmap_prepare(struct init_ctx *ctx, const struct op *op)
{
	int slot = (int)op_int(op, 0);
	int recursion = (int)op_int(op, 1);
	const char *source = op->strs[0];
	if (slot < 0 || slot >= KEEL_MAX_IDMAPPED)
		return errno = EINVAL, -1;
	int userns = userns_with_maps(ctx, op->strs[1], op->str_lens[1], op->strs[2], op->str_lens[2]);
	if (userns < 0)
		return -1;
	int tree = (int)syscall(__NR_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursion & 1 ? AT_RECURSIVE : 0));
	if (tree < 0) {
		int saved = errno;
		close(userns);
		snprintf(ctx->detail, sizeof(ctx->detail), "open_tree(OPEN_TREE_CLONE) of \"%.100s\"", source);
		return errno = saved, -1;
	}
	/*
	 * A copy of a shared mount is in its peer group: the container's mounts would propagate to the
	 * host. Make the copy a slave, as the container's other mounts are (prepare-rootfs's rslave).
	 */
	struct mount_attr slave = { .propagation = MS_SLAVE };
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &slave) < 0) {
		int saved = errno;
		close(userns);
		close(tree);
		snprintf(ctx->detail, sizeof(ctx->detail), "mount_setattr(MS_SLAVE) of the copy of \"%.100s\"", source);
		return errno = saved, -1;
	}
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | (uint64_t)op_int(op, 2),
		.attr_clr = (uint64_t)op_int(op, 3),
		.userns_fd = (uint64_t)userns,
	};
	int rc = mount_setattr(tree, "", AT_EMPTY_PATH | (recursion & 2 ? AT_RECURSIVE : 0), &attr);
	int saved = errno;
	close(userns);
	if (rc < 0) {
		close(tree);
		snprintf(ctx->detail, sizeof(ctx->detail), "mount_setattr(MOUNT_ATTR_IDMAP) of \"%.100s\"%s", source,
			 saved == EINVAL   ? ": its file system (or one below it) cannot be id-mapped on this kernel"
			 : saved == ENOSYS ? ": this kernel has no id-mapped mounts (Linux 5.12+)"
					   : "");
		return errno = saved, -1;
	}
	ctx->idmapped[slot] = tree;
	return 0;
}

/* ints: slot, create-as, checks (keel_mount_check), propagation   strs: destination (in root) */
int op_mount_idmapped(struct init_ctx *ctx, const struct op *op)
{
	int slot = (int)op_int(op, 0);
	const char *dest = op->strs[0];
	if (slot < 0 || slot >= KEEL_MAX_IDMAPPED || ctx->idmapped[slot] <= 0)
		return errno = EBADF, -1;
	int fd = open_in_root(ctx, dest, (int)op_int(op, 1), true);
	if (fd < 0)
		return -1;
	if (check_destination(ctx, dest, fd, (int)op_int(op, 2)) < 0) {
		int saved = errno;
		close(fd);
		return errno = saved, -1;
	}
	int rc = (int)syscall(__NR_move_mount, ctx->idmapped[slot], "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
	int saved = errno;
	close(fd);
	close(ctx->idmapped[slot]);
	ctx->idmapped[slot] = -1;
	if (rc < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "move_mount of the id-mapped mount onto \"%.100s\"", dest);
		return errno = saved, -1;
	}
	unsigned long propagation = (unsigned long)op_int(op, 3);
	if (!propagation)
		return 0;
	char target[64];
	fd = open_in_root(ctx, dest, CREATE_DIR, false);
	if (fd < 0)
		return -1;
	fd_path(fd, target, sizeof(target));
	rc = mount(NULL, target, NULL, propagation, NULL);
	saved = errno;
	close(fd);
	return errno = saved, rc;
}
