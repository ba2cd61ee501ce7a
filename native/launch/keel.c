/*
 * dist/keel: the program callers run. It records which fds from 3 on its caller left open, then
 * becomes node running keel.cjs beside it (execve, same pid).
 *
 * Why a launcher: `--preserve-fds N` must hand the container exactly the caller's fds 3..N+2,
 * and refuse a number the caller left closed. By the time keel's JavaScript runs, Node has made
 * that impossible to tell: libuv marks every fd the process inherited close-on-exec (fds 0-15,
 * and the run of open fds after them) and Node then opens its own (epoll, eventfds, pipes, all
 * close-on-exec) in the lowest free numbers, so a caller's fd 4 and Node's fd 4 look the same.
 * (Measured with Node 20: with only 3 and 5 open, Node's epoll fd is 4 and its pipes 6-9.)
 * Here, before Node, every open fd is the caller's.
 *
 * The record is KEEL_CALLER_FDS="<pid>:<ranges>" (e.g. "4242:3-12,15"): src/container/caller-fds.ts
 * reads it, and trusts it only when <pid> is its own (a variable inherited from another keel is not
 * about this process). It costs one directory read (/proc/self/fd) per call, every verb alike.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef KEEL_NODE
#error "build with -DKEEL_NODE=\"/path/to/node\" (the node that built keel.cjs)"
#endif

#define RECORD_VAR "KEEL_CALLER_FDS"

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The caller's open fds from 3 on, sorted, from /proc/self/fd; NULL (and *count 0) without /proc. */
static int *caller_fds(size_t *count)
{
	*count = 0;
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return NULL;
	size_t cap = 64;
	int *fds = malloc(cap * sizeof(*fds));
	char buf[8192];
	long n;
	while (fds && (n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			char *end;
			long fd = strtol(d->d_name, &end, 10);
			if (*end || end == d->d_name || fd < 3 || fd == dir)
				continue;
			if (*count == cap) {
				int *more = realloc(fds, (cap *= 2) * sizeof(*fds));
				if (!more) {
					free(fds);
					fds = NULL;
					break;
				}
				fds = more;
			}
			fds[(*count)++] = (int)fd;
		}
	}
	close(dir);
	if (!fds || n < 0) {
		free(fds);
		*count = 0;
		return NULL;
	}
	qsort(fds, *count, sizeof(*fds), compare_ints);
	return fds;
}

/* "<pid>:a-b,c,..." for the sorted fds; NULL when out of memory. */
static char *format_record(const int *fds, size_t count)
{
	/* Each range takes at most two 10-digit numbers, a '-' and a ','. */
	size_t size = sizeof(RECORD_VAR) + 16 + count * 24 + 1;
	char *out = malloc(size), *p;
	if (!out)
		return NULL;
	p = out + snprintf(out, size, RECORD_VAR "=%d:", (int)getpid());
	for (size_t i = 0; i < count;) {
		size_t j = i;
		while (j + 1 < count && fds[j + 1] == fds[j] + 1)
			j++;
		p += j == i ? sprintf(p, "%s%d", i ? "," : "", fds[i]) : sprintf(p, "%s%d-%d", i ? "," : "", fds[i], fds[j]);
		i = j + 1;
	}
	return out;
}

int main(int argc, char **argv)
{
	(void)argc;
	char self[PATH_MAX], script[PATH_MAX + sizeof("/keel.cjs")];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len < 0) {
		fprintf(stderr, "keel: cannot find keel.cjs: readlink /proc/self/exe: %s (is /proc mounted?)\n", strerror(errno));
		return 127;
	}
	self[len] = '\0';
	char *slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(script, sizeof(script), "%s/keel.cjs", self);

	/* Without a record (no /proc), keel refuses --preserve-fds and LISTEN_FDS rather than guess. */
	unsetenv(RECORD_VAR);
	size_t count;
	int *fds = caller_fds(&count);
	if (fds) {
		char *record = format_record(fds, count);
		if (record)
			putenv(record);
	}

	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return 127;
	args[0] = "node";
	args[1] = script;
	for (int i = 1; i < argc; i++)
		args[i + 1] = argv[i];
	execv(KEEL_NODE, args);
	fprintf(stderr, "keel: exec %s: %s\n", KEEL_NODE, strerror(errno));
	return 127;
}
