/*
 * Opening a path as if a directory were "/" (openat2 RESOLVE_IN_ROOT, Linux 5.6): symlinks and
 * ".." cannot leave it, however the files under it are made, and magic links are not followed.
 * Shared by keel-init (mount destinations, devices) and libkeel (the rootfs's /etc/passwd).
 * Header-only: the two are separate binaries, and keel-init is static.
 */
#ifndef KEEL_OPENAT2_H
#define KEEL_OPENAT2_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* An fd for path under root_fd, close-on-exec; `resolve` adds RESOLVE_* flags. -1 and errno on failure. */
static inline int keel_openat2_in_root(int root_fd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	int fd;
	/* The kernel asks for a retry (EAGAIN) when a rename races with the lookup. */
	do
		fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	return fd;
}

#endif
