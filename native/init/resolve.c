/*
 * Resolving paths inside the container's root. A rootfs is hostile input: any component may be a
 * symlink planted to point at the host. openat2(RESOLVE_IN_ROOT) makes the kernel treat root_fd as
 * "/" for every step, including absolute symlinks and "..", so nothing resolves outside it. The
 * result is an O_PATH fd; callers act on /proc/self/fd/N and never re-resolve the path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../include/keel-openat2.h"
#include "init.h"

/* The kernel follows a chain of at most 40 symlinks (ELOOP); following dangling ones by hand does too. */
#define MAX_SYMLINK_HOPS 40

static int openat2_in_root(int root_fd, const char *path, int flags)
{
	return keel_openat2_in_root(root_fd, path, flags, 0);
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

static int create_in_root(struct init_ctx *ctx, const char *path, int create_as, int hops);

/*
 * path's component prefix (path[0..end)) is a symlink whose target does not exist yet. Like runc,
 * create the target instead: the link's text with the rest of path after it, resolved inside the
 * root like every other path here (an image's /etc/resolv.conf may point at a file of a service
 * that has not run, and engines mount onto it).
 */
static int create_link_target(struct init_ctx *ctx, const char *path, size_t end, const char *link, int create_as, int hops)
{
	char next[PATH_MAX];
	const char *slash = memrchr(path, '/', end);
	int dir_len = link[0] == '/' || !slash ? 0 : (int)(slash - path + 1);
	int n = snprintf(next, sizeof(next), "%.*s%s%s", dir_len, path, link, path + end);
	if (n < 0 || (size_t)n >= sizeof(next))
		return errno = ENAMETOOLONG, -1;
	if (hops >= MAX_SYMLINK_HOPS) {
		snprintf(ctx->detail, sizeof(ctx->detail), "more than %d symlinks to follow from \"/%.150s\"", MAX_SYMLINK_HOPS, path);
		return errno = ELOOP, -1;
	}
	return create_in_root(ctx, relative(next), create_as, hops + 1);
}

/* Creates each missing component of path (directories, and the last one as create_as). */
static int create_in_root(struct init_ctx *ctx, const char *path, int create_as, int hops)
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
			return step_failed(ctx, "open \"/%.150s\" in the container root", prefix);

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
		/* It exists yet does not resolve: a symlink whose target is missing. */
		char link[PATH_MAX];
		ssize_t link_len = rc < 0 && saved == EEXIST ? readlinkat(parent, name, link, sizeof(link) - 1) : -1;
		close(parent);
		if (link_len > 0) {
			link[link_len] = '\0';
			return create_link_target(ctx, path, end, link, create_as, hops);
		}
		if (rc < 0)
			return errno = saved, step_failed(ctx, "%s \"/%.150s\" in the container root",
							  path[end] == '\0' && create_as == CREATE_FILE ? "create file" : "mkdir", prefix);
	}
	return 0;
}

int open_in_root(struct init_ctx *ctx, const char *path, int create_as, bool create)
{
	const char *rel = relative(path);
	int fd = openat2_in_root(ctx->root_fd, rel, O_PATH);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (create_in_root(ctx, rel, create_as, 0) < 0)
		return -1;
	return openat2_in_root(ctx->root_fd, rel, O_PATH);
}

int open_in_root_without_symlinks(struct init_ctx *ctx, const char *path)
{
	return keel_openat2_in_root(ctx->root_fd, relative(path), O_PATH, RESOLVE_NO_SYMLINKS);
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
	if (create_in_root(ctx, parent, CREATE_DIR, 0) < 0)
		return -1;
	return openat2_in_root(ctx->root_fd, parent, O_PATH | O_DIRECTORY);
}
