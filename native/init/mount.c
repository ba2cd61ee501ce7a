/* Mount operations: the container's root, its mounts, pivot_root, masked and read-only paths. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

/* Linux 5.10's nosymfollow, which older libc headers lack. */
#define KEEL_ST_NOSYMFOLLOW 0x2000
#define KEEL_MS_NOSYMFOLLOW 256

/* The flags a bind remount must repeat, or the kernel refuses it (locked in a user namespace). */
static unsigned long mounted_flags(const char *target)
{
	struct statvfs sv;
	unsigned long flags = 0;
	if (statvfs(target, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_RDONLY) flags |= MS_RDONLY;
	if (sv.f_flag & ST_NOSUID) flags |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) flags |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME) flags |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) flags |= MS_RELATIME;
	if (sv.f_flag & KEEL_ST_NOSYMFOLLOW) flags |= KEEL_MS_NOSYMFOLLOW;
	return flags;
}

/* "remount,bind,ro,nosuid": the flags of a bind remount as mount(8) options, for an error report. */
static const char *remount_options(unsigned long flags, char *buf, size_t len)
{
	/* clang-format off */
	static const struct { unsigned long flag; const char *name; } names[] = {
		{ MS_RDONLY, "ro" }, { MS_NOSUID, "nosuid" }, { MS_NODEV, "nodev" }, { MS_NOEXEC, "noexec" },
		{ MS_NOATIME, "noatime" }, { MS_NODIRATIME, "nodiratime" }, { MS_RELATIME, "relatime" },
		{ MS_STRICTATIME, "strictatime" }, { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" },
	};
	/* clang-format on */
	size_t used = (size_t)snprintf(buf, len, "remount,bind");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && used < len; i++)
		if (flags & names[i].flag)
			used += (size_t)snprintf(buf + used, len - used, ",%s", names[i].name);
	return buf;
}

/* "rslave": a propagation change as mount(8)'s --make-* option names it. */
static const char *propagation_name(unsigned long flags)
{
	int rec = (flags & MS_REC) != 0;
	if (flags & MS_SHARED) return rec ? "rshared" : "shared";
	if (flags & MS_SLAVE) return rec ? "rslave" : "slave";
	if (flags & MS_UNBINDABLE) return rec ? "runbindable" : "unbindable";
	return rec ? "rprivate" : "private";
}

/* Opens path in the root (an O_PATH fd), naming the step when it fails. */
static int open_existing(struct init_ctx *ctx, const char *path)
{
	int fd = open_in_root(ctx, path, CREATE_DIR, false);
	if (fd < 0)
		step_failed(ctx, "open \"%.150s\" in the container root", path);
	return fd;
}

static void close_keeping_errno(int fd)
{
	int saved = errno;
	close(fd);
	errno = saved;
}

/*
 * /proc/self/fd/N of an fd resolved in the root, the path keel mounts over. After pivot_root that
 * is the container's own /proc, which a config may leave out: say so, rather than ENOENT alone.
 */
static int proc_fd_target(struct init_ctx *ctx, int fd, char *target, size_t len)
{
	fd_path(fd, target, len);
	if (access("/proc/self/fd", F_OK) == 0)
		return 0;
	return step_failed(ctx, "keel reaches the path through /proc/self/fd, and the container has no /proc: add a proc mount at /proc");
}

/* Remounts the mount at path with its own flags minus `clear`, plus `add`. */
static int remount_in_root(struct init_ctx *ctx, const char *path, unsigned long add, unsigned long clear)
{
	char target[64], options[128];
	int fd = open_existing(ctx, path);
	if (fd < 0)
		return -1;
	if (proc_fd_target(ctx, fd, target, sizeof(target)) < 0)
		return close_keeping_errno(fd), -1;
	unsigned long inherited = mounted_flags(target);
	unsigned long flags = (inherited & ~clear) | add;
	int rc = mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
	/* In a user namespace the kernel locks the flags of mounts from outside it. Keep them then, as
	 * a bind without a remount would: runc leaves them too when it does not remount. */
	if (rc < 0 && errno == EPERM && (inherited & clear))
		rc = mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (flags = inherited | add), NULL);
	if (rc < 0)
		step_failed(ctx, "mount -o %s", remount_options(flags, options, sizeof(options)));
	int saved = errno;
	close(fd);
	return errno = saved, rc;
}

int op_prepare_rootfs(struct init_ctx *ctx, const struct op *op)
{
	const char *rootfs = op->strs[0];
	unsigned long propagation = MS_REC | (unsigned long)op_int(op, 0);
	if (mount(NULL, "/", NULL, propagation, NULL) < 0)
		return step_failed(ctx, "mount --make-%s /", propagation_name(propagation));
	/* pivot_root needs the new root to be a mount point of its own. */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return step_failed(ctx, "mount --rbind the root onto itself");
	ctx->root_fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return ctx->root_fd < 0 ? step_failed(ctx, "open the root") : 0;
}

/* A proc mount's magic number (linux/magic.h). */
#define PROC_SUPER_MAGIC 0x9fa0

/* The checks the plan asks of a mount's resolved destination (fd), before anything is mounted on it. */
int check_destination(struct init_ctx *ctx, const char *dest, int fd, int checks)
{
	if (checks & MOUNT_NOT_ON_PROCFS) {
		struct statfs sf;
		if (fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC) {
			snprintf(ctx->detail, sizeof(ctx->detail),
				 "\"%.100s\" leads inside /proc through a symlink: keel mounts over /proc files only where the config names them", dest);
			return errno = EPERM, -1;
		}
	}
	if (checks & MOUNT_NO_SYMLINKS) {
		int strict = open_in_root_without_symlinks(ctx, dest);
		struct stat st;
		int ok = strict >= 0 && fstat(strict, &st) == 0 && S_ISDIR(st.st_mode);
		if (strict >= 0)
			close(strict);
		if (!ok) {
			snprintf(ctx->detail, sizeof(ctx->detail),
				 "\"%.100s\" must be a directory reached without symlinks for this filesystem", dest);
			return errno = ENOTDIR, -1;
		}
	}
	return 0;
}

/*
 * A tmpfs mounted over a directory of the image takes that directory's mode unless the options
 * give one, as runc does: a private directory (0700) must not become world-writable (tmpfs's
 * default 1777) because a tmpfs covers it. Returns data with ",mode=..." added, in buf, or data.
 */
static const char *tmpfs_data(int dir_fd, const char *data, char *buf, size_t len)
{
	struct stat st;
	if (data && (strncmp(data, "mode=", 5) == 0 || strstr(data, ",mode=")))
		return data;
	if (fstat(dir_fd, &st) < 0 || !S_ISDIR(st.st_mode))
		return data;
	int n = snprintf(buf, len, "%s%smode=%o", data ? data : "", data ? "," : "", st.st_mode & 07777);
	return n > 0 && (size_t)n < len ? buf : data;
}

/* mount --make-<propagation> on the mount at path. */
static int set_propagation(struct init_ctx *ctx, const char *path, unsigned long propagation)
{
	char target[64];
	int fd = open_existing(ctx, path);
	if (fd < 0)
		return -1;
	if (proc_fd_target(ctx, fd, target, sizeof(target)) < 0)
		return close_keeping_errno(fd), -1;
	int rc = mount(NULL, target, NULL, propagation, NULL);
	if (rc < 0)
		step_failed(ctx, "mount --make-%s", propagation_name(propagation));
	int saved = errno;
	close(fd);
	return errno = saved, rc;
}

int op_mount(struct init_ctx *ctx, const struct op *op)
{
	unsigned long flags = (unsigned long)op_int(op, 0);
	unsigned long propagation = (unsigned long)op_int(op, 1);
	unsigned long remount = (unsigned long)op_int(op, 2);
	unsigned long clear = (unsigned long)op_int(op, 5);
	const char *source = op->strs[0], *dest = op->strs[1];
	const char *fstype = op->strs[2][0] ? op->strs[2] : NULL;
	const char *data = op->strs[3][0] ? op->strs[3] : NULL;
	char target[64], tmpfs_buf[4096];

	/* Whether the destination was there before keel created it: only an image's directory lends its mode. */
	int existing = fstype && strcmp(fstype, "tmpfs") == 0 ? open_in_root(ctx, dest, CREATE_DIR, false) : -1;
	if (existing >= 0) {
		data = tmpfs_data(existing, data, tmpfs_buf, sizeof(tmpfs_buf));
		close(existing);
	}
	int fd = open_in_root(ctx, dest, (int)op_int(op, 3), true);
	if (fd < 0)
		return step_failed(ctx, "open \"%.150s\" in the container root", dest);
	if (check_destination(ctx, dest, fd, (int)op_int(op, 6)) < 0) {
		int saved = errno;
		close(fd);
		return errno = saved, -1;
	}
	fd_path(fd, target, sizeof(target));
	/* tmpcopyup: keep a handle on what the mount will hide, to fill the new tmpfs from it. */
	int below = op_int(op, 4) ? openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	int rc = (flags & MS_BIND) ? mount(source, target, NULL, flags & (MS_BIND | MS_REC), NULL)
				   : mount(source, target, fstype, flags, data);
	int saved = errno;
	close(fd);
	if (rc < 0) {
		if (below >= 0)
			close(below);
		errno = saved;
		if (flags & MS_BIND)
			return step_failed(ctx, "mount %s", flags & MS_REC ? "--rbind" : "--bind");
		return step_failed(ctx, "mount -t %.40s", fstype ? fstype : "(none)");
	}
	if (below >= 0) {
		int above = open_in_root(ctx, dest, CREATE_DIR, false);
		int top = above < 0 ? -1 : openat(above, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		rc = top < 0 ? -1 : copy_tree(below, top);
		saved = errno;
		close(below);
		if (above >= 0)
			close(above);
		if (top >= 0)
			close(top);
		if (rc < 0)
			return errno = saved, step_failed(ctx, "tmpcopyup: copy what the directory held into the tmpfs");
	}
	/* Bind mounts take their flags only from a remount of the new mount. */
	if ((remount || clear) && remount_in_root(ctx, dest, remount, clear) < 0)
		return -1;
	if (propagation)
		return set_propagation(ctx, dest, propagation);
	return 0;
}

static int reopen_root(struct init_ctx *ctx)
{
	close(ctx->root_fd);
	ctx->root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return ctx->root_fd < 0 ? step_failed(ctx, "open the new /") : 0;
}

int op_pivot_root(struct init_ctx *ctx, const struct op *op)
{
	(void)op;
	int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (old_root < 0)
		return step_failed(ctx, "open the old root /");
	if (fchdir(ctx->root_fd) < 0)
		return step_failed(ctx, "fchdir to the container root");
	/* pivot_root(".", ".") stacks the old root under the new one; no directory is needed for it. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return step_failed(ctx, "pivot_root . .");
	/* Make the old root a slave first, so that unmounting it cannot propagate to the host. */
	if (fchdir(old_root) < 0)
		return step_failed(ctx, "fchdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return step_failed(ctx, "mount --make-rslave the old root");
	if (umount2(".", MNT_DETACH) < 0)
		return step_failed(ctx, "umount --lazy the old root");
	if (chdir("/") < 0)
		return step_failed(ctx, "chdir /");
	close(old_root);
	return reopen_root(ctx);
}

int op_chroot(struct init_ctx *ctx, const struct op *op)
{
	(void)op;
	if (fchdir(ctx->root_fd) < 0)
		return step_failed(ctx, "fchdir to the container root");
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return step_failed(ctx, "mount --move the root onto /");
	if (chroot(".") < 0)
		return step_failed(ctx, "chroot .");
	if (chdir("/") < 0)
		return step_failed(ctx, "chdir /");
	return reopen_root(ctx);
}

int op_remount(struct init_ctx *ctx, const struct op *op)
{
	return remount_in_root(ctx, op->strs[0], (unsigned long)op_int(op, 0), 0);
}

int op_set_propagation(struct init_ctx *ctx, const struct op *op)
{
	return set_propagation(ctx, op->strs[0], (unsigned long)op_int(op, 0));
}

int op_mask_path(struct init_ctx *ctx, const struct op *op)
{
	char target[64];
	struct stat st;
	int fd = open_in_root(ctx, op->strs[0], CREATE_DIR, false);
	if (fd < 0)
		return errno == ENOENT ? 0 : step_failed(ctx, "open \"%.150s\" in the container root", op->strs[0]);
	if (proc_fd_target(ctx, fd, target, sizeof(target)) < 0)
		return close_keeping_errno(fd), -1;
	int rc = fstat(fd, &st);
	if (rc < 0)
		step_failed(ctx, "fstat");
	else if (S_ISDIR(st.st_mode) && (rc = mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL)) < 0)
		step_failed(ctx, "mount -t tmpfs -o ro over the directory");
	else if (!S_ISDIR(st.st_mode) && (rc = mount("/dev/null", target, NULL, MS_BIND, NULL)) < 0)
		step_failed(ctx, "mount --bind /dev/null over the file");
	int saved = errno;
	close(fd);
	return errno = saved, rc;
}

int op_readonly_path(struct init_ctx *ctx, const struct op *op)
{
	char target[64];
	int fd = open_in_root(ctx, op->strs[0], CREATE_DIR, false);
	if (fd < 0)
		return errno == ENOENT ? 0 : step_failed(ctx, "open \"%.150s\" in the container root", op->strs[0]);
	if (proc_fd_target(ctx, fd, target, sizeof(target)) < 0)
		return close_keeping_errno(fd), -1;
	int rc = mount(target, target, NULL, MS_BIND | MS_REC, NULL);
	int saved = errno;
	close(fd);
	if (rc < 0)
		return errno = saved, step_failed(ctx, "mount --rbind onto itself");
	return remount_in_root(ctx, op->strs[0], MS_RDONLY, 0);
}
