/*
 * tmpcopyup: a tmpfs mounted over a directory starts with that directory's contents (podman asks
 * for it on every --tmpfs and --read-only mount). The tree is copied from an fd opened on the
 * directory before the mount hid it; nothing is resolved by path, so no symlink is followed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "init.h"

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
	int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 07777);
	if (out < 0) {
		close(in);
		return -1;
	}
	ssize_t n = 0;
	for (off_t left = st->st_size; left > 0; left -= n) {
		n = sendfile(out, in, NULL, (size_t)left);
		if (n <= 0)
			break;
	}
	int rc = n < 0 ? -1 : 0;
	close(in);
	close(out);
	return rc;
}

int copy_tree(int src_dir, int dst_dir)
{
	int fd = dup(src_dir);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir)
		return -1;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(dir));) {
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(src_dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = mkdirat(dst_dir, e->d_name, st.st_mode & 07777);
			int from = rc ? -1 : openat(src_dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int to = rc ? -1 : openat(dst_dir, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = (from < 0 || to < 0) ? -1 : copy_tree(from, to);
			if (from >= 0)
				close(from);
			if (to >= 0)
				close(to);
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(src_dir, dst_dir, e->d_name, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(src_dir, e->d_name, target, sizeof(target) - 1);
			if (n < 0)
				rc = -1;
			else {
				target[n] = '\0';
				rc = symlinkat(target, dst_dir, e->d_name);
			}
		} else {
			rc = mknodat(dst_dir, e->d_name, st.st_mode, st.st_rdev);
		}
		if (rc == 0)
			rc = fchownat(dst_dir, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	}
	int saved = errno;
	closedir(dir);
	return errno = saved, rc;
}
