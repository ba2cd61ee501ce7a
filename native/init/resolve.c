/*
 * Resolving paths inside the container's root. A rootfs is hostile input: any component may be a
 * symlink planted to point at the host. openat2(RESOLVE_IN_ROOT) makes the kernel treat root_fd as
 * "/" for every step, including absolute symlinks and "..", so nothing resolves outside it. The
 * result is an O_PATH fd; callers act on /proc/self/fd/N and never re-resolve the path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"

static int openat2_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;
	do
		fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	return fd;
}

void fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}

static const char *relative(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

/* Creates each missing component of path (directories, and the last one as create_as). */
static int create_in_root(struct init_ctx *ctx, const char *path, int create_as)
{
	char prefix[PATH_MAX];
	size_t len = strlen(path);
	if (len >= sizeof(prefix))
		return errno = ENAMETOOLONG, -1;

	for (size_t end = 0; end <= len; end++) {
		if (path[end] != '/' && path[end] != '\0')
			continue;
		if (end == 0 || path[end - 1] == '/')
			continue;
		memcpy(prefix, path, end);
		prefix[end] = '\0';
		int fd = openat2_in_root(ctx->root_fd, prefix, O_PATH);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return -1;

		const char *name;
		int parent = open_parent_in_root(ctx, prefix, &name);
		if (parent < 0)
			return -1;
		int rc;
		if (path[end] == '\0' && create_as == CREATE_FILE) {
			rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (rc >= 0)
				close(rc);
		} else {
			rc = mkdirat(parent, name, 0755);
		}
		int saved = errno;
		close(parent);
		if (rc < 0 && saved != EEXIST)
			return errno = saved, -1;
		/* It exists yet does not resolve: a symlink to a target that is not inside the root. */
		if (rc < 0) {
			snprintf(ctx->detail, sizeof(ctx->detail),
				 "\"/%.150s\" is a symlink whose target is not inside the container root", prefix);
			return errno = ENOENT, -1;
		}
	}
	return 0;
}

int open_in_root(struct init_ctx *ctx, const char *path, int create_as, bool create)
{
	const char *rel = relative(path);
	int fd = openat2_in_root(ctx->root_fd, rel, O_PATH);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (create_in_root(ctx, rel, create_as) < 0)
		return -1;
	return openat2_in_root(ctx->root_fd, rel, O_PATH);
}

/* Opens the directory that holds path's last component; *name points at that component. */
int open_parent_in_root(struct init_ctx *ctx, const char *path, const char **name)
{
	char parent[PATH_MAX];
	const char *rel = relative(path);
	const char *slash = strrchr(rel, '/');
	if (strlen(rel) >= sizeof(parent))
		return errno = ENAMETOOLONG, -1;
	if (!slash) {
		*name = rel;
		return openat2_in_root(ctx->root_fd, ".", O_PATH | O_DIRECTORY);
	}
	memcpy(parent, rel, (size_t)(slash - rel));
	parent[slash - rel] = '\0';
	*name = slash + 1;
	if (create_in_root(ctx, parent, CREATE_DIR) < 0)
		return -1;
	return openat2_in_root(ctx->root_fd, parent, O_PATH | O_DIRECTORY);
}
