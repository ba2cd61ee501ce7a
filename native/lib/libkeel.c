/*
 * libkeel: the few system calls Node.js does not offer, loaded through ffi-rs.
 * Every function returns a value >= 0 on success and -errno on failure.
 *
 * keel_spawn() is the only delicate one. Node is multi-threaded, so the child it creates must not
 * run anything but raw system calls before execve (no malloc, no stdio: another thread may have
 * held their locks). The child shares Node's memory (CLONE_VM | CLONE_VFORK, as posix_spawn does,
 * so nothing is copied) and runs on a stack of its own until it execs keel-init.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../include/keel-openat2.h"
#include "../include/keel-scm.h"

#define SPAWN_STACK_SIZE (64 * 1024)
#define SPAWN_SCRATCH_FD 1000
#define MAX_SPAWN_FDS 16

/* A sealed, in-memory copy of the file at path (keel-init): what the container runs can never
 * be written back to the host's binary through /proc/<pid>/exe. */
int keel_sealed_copy(const char *path)
{
	struct stat st;
	int src = open(path, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -errno;
	int mfd = memfd_create("keel-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || fstat(src, &st) < 0)
		goto fail;
	for (off_t off = 0; off < st.st_size;) {
		ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
		if (n <= 0)
			goto fail;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		goto fail;
	close(src);
	return mfd;
fail:;
	int err = errno;
	close(src);
	if (mfd >= 0)
		close(mfd);
	return -err;
}

struct spawn_args {
	int exe_fd;
	const int32_t *fds;
	int nfds;
	int base;
	char *const *argv;
	sigset_t *old_mask;
	volatile int err;
};

static int spawn_child(void *arg)
{
	struct spawn_args *a = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int exe = SPAWN_SCRATCH_FD + MAX_SPAWN_FDS;

	/* Node's handlers must never run here: reset them before unblocking signals. */
	for (int sig = 1; sig < 65; sig++)
		syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
	/* Park every fd out of the way first, so that placing them cannot clobber one another. */
	if (syscall(SYS_dup3, a->exe_fd, exe, O_CLOEXEC) < 0)
		goto fail;
	for (int i = 0; i < a->nfds; i++)
		if (syscall(SYS_dup3, a->fds[i], SPAWN_SCRATCH_FD + i, O_CLOEXEC) < 0)
			goto fail;
	for (int i = 0; i < a->nfds; i++)
		if (syscall(SYS_dup3, SPAWN_SCRATCH_FD + i, a->base + i, 0) < 0)
			goto fail;
	/* Node marks every fd it inherited close-on-exec; the container must inherit its stdio and
	 * the --preserve-fds ones (3 up to base). Every number in 3..base-1 is one the caller left
	 * open (src/container/caller-fds.ts checked before anything was made): a number it left
	 * closed would hand over one of Node's or keel's own fds here. (It did: with a gap, keel-init
	 * got keel's locked fd on the state directory, so `run`'s start waited for that lock for
	 * ever while keel-init waited for start on the exec fifo.) */
	for (int fd = 0; fd < a->base; fd++)
		syscall(SYS_fcntl, fd, F_SETFD, 0);
	sigset_t none;
	sigemptyset(&none);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8);
	static char *const envp[] = { NULL };
	syscall(SYS_execveat, exe, "", a->argv, envp, AT_EMPTY_PATH);
fail:
	a->err = errno;
	syscall(SYS_exit, 127);
	return 0;
}

/*
 * Runs fn(arg) in a child that shares this process's memory (CLONE_VM | CLONE_VFORK: this thread
 * waits until it execs or exits) on a stack of its own, with every signal blocked around the
 * clone so that no handler of Node's runs on the child's stack. exit_signal: SIGCHLD, or 0 for a
 * child its parent reaps with __WALL. Returns its pid or -errno.
 */
static int vfork_child(int (*fn)(void *), void *arg, int exit_signal)
{
	void *stack = mmap(NULL, SPAWN_STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int pid = clone(fn, (char *)stack + SPAWN_STACK_SIZE, CLONE_VM | CLONE_VFORK | exit_signal, arg);
	int err = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stack, SPAWN_STACK_SIZE);
	return pid < 0 ? -err : pid;
}

/*
 * Starts keel-init from exe_fd. fds[i] becomes fd base+i in the child, stdio is inherited, and
 * every other fd of Node's is close-on-exec already (Node opens everything O_CLOEXEC).
 * argv1 is keel-init's argument: the number of the sync socket.
 */
int keel_spawn(int exe_fd, const char *argv1, const int32_t *fds, int nfds, int base)
{
	if (nfds > MAX_SPAWN_FDS)
		return -E2BIG;
	char *const argv[] = { "keel-init", (char *)argv1, NULL };
	struct spawn_args a = { .exe_fd = exe_fd, .fds = fds, .nfds = nfds, .base = base, .argv = argv };
	int pid = vfork_child(spawn_child, &a, SIGCHLD);
	if (pid < 0)
		return pid;
	if (a.err) {
		waitpid(pid, NULL, 0);
		return -a.err;
	}
	return pid;
}

/* A connected AF_UNIX pair of `type`, both ends close-on-exec, packed as (fd0 << 32) | fd1. */
static int64_t socket_pair(int type)
{
	int sv[2];
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	return ((int64_t)sv[0] << 32) | (uint32_t)sv[1];
}

/*
 * The sync pair with keel-init. The whole plan goes in one message, and a message may be as large as
 * the sender's buffer, by default net.core.wmem_default (~208 KiB): a config with thousands of
 * environment variables or groups needs more. Root may set more than net.core.wmem_max with
 * SO_SNDBUFFORCE; 8 MiB is four times what execve takes of arguments and environment.
 */
int64_t keel_seqpacket_pair(void)
{
	int64_t pair = socket_pair(SOCK_SEQPACKET);
	int size = 8 << 20;
	if (pair >= 0 && setsockopt((int)(pair >> 32), SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt((int)(pair >> 32), SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	return pair;
}

/* A pipe, both ends close-on-exec, packed as (read << 32) | write: a binary:// logger's stdout,
 * stderr and readiness pipes. */
int64_t keel_pipe(void)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	return ((int64_t)fds[0] << 32) | (uint32_t)fds[1];
}

/* A stream pair: the console socket keel hands keel-init when it relays the terminal itself. */
int64_t keel_stream_pair(void)
{
	return socket_pair(SOCK_STREAM);
}


/* The window size of the terminal on fd, packed as (rows << 16) | cols. */
int keel_get_winsize(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	return (ws.ws_row << 16) | ws.ws_col;
}

/*
 * Turns off "\n" -> "\r\n" on the terminal whose master is fd, as runc does for the terminal it
 * relays: keel's stdout then gets the process's bytes as written (a caller's terminal in raw mode
 * adds the "\r" itself; a pipe or a log file gets none).
 */
int keel_clear_onlcr(int fd)
{
	struct termios t;
	if (tcgetattr(fd, &t) < 0)
		return -errno;
	t.c_oflag &= ~(tcflag_t)ONLCR;
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

/* Sets the window size of the terminal on fd (a pty master: its foreground group gets SIGWINCH). */
int keel_set_winsize(int fd, int rows, int cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

int keel_flock(int fd, int op)
{
	return flock(fd, op) < 0 ? -errno : 0;
}

int keel_mkfifo(const char *path, int mode)
{
	return mkfifo(path, (mode_t)mode) < 0 ? -errno : 0;
}

struct mount_args {
	const char *dir, *source, *target, *fstype, *data;
	unsigned long flags;
	volatile int err;
};

static int mount_child(void *arg)
{
	struct mount_args *a = arg;
	if (syscall(SYS_chdir, a->dir) < 0 ||
	    syscall(SYS_mount, a->source, a->target, a->fstype, a->flags, a->data) < 0)
		a->err = errno;
	syscall(SYS_exit, 0);
	return 0;
}

/*
 * mount(2). With dir not empty the call is made with dir as the working directory, so that
 * relative paths in data (an overlay's lowerdirs, when their absolute paths would not fit in the
 * page the kernel copies of data) resolve below it. Node's threads share one working directory, so
 * the chdir happens in a child that shares Node's memory (CLONE_VM | CLONE_VFORK, as keel_spawn)
 * and not its working directory; its mount is the same mount namespace's. It runs only raw system
 * calls, with every signal blocked, and exits without a signal to its parent (reaped here with
 * __WALL): the shim's reaper never sees it.
 */
int keel_mount(const char *source, const char *target, const char *fstype, int flags, const char *data, const char *dir)
{
	const char *opts = *data ? data : NULL;
	if (!*dir)
		return mount(source, target, fstype, (unsigned long)(unsigned)flags, opts) < 0 ? -errno : 0;
	struct mount_args a = { .dir = dir, .source = source, .target = target, .fstype = fstype, .data = opts, .flags = (unsigned long)(unsigned)flags };
	int pid = vfork_child(mount_child, &a, 0);
	if (pid < 0)
		return pid;
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
	return a.err ? -a.err : 0;
}

/* umount2(2): flags 0, or MNT_DETACH for a mount still busy. */
int keel_umount2(const char *target, int flags)
{
	return umount2(target, flags) < 0 ? -errno : 0;
}

/*
 * Opens path for reading as if root were "/" (keel-openat2.h). Non-blocking, so that a FIFO
 * planted there cannot hang keel; the caller checks it is a file.
 */
int keel_open_in_root(const char *root, const char *path)
{
	int dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -errno;
	int fd = keel_openat2_in_root(dir, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	int err = errno;
	close(dir);
	return fd < 0 ? -err : fd;
}

/*
 * Makes what is missing of the absolute path under root, as if root were "/" (keel-openat2.h):
 * its directories, and its last component as a directory or, with as_file, an empty file. What
 * exists is left as it is (a dangling symlink too). A restore's mount points: CRIU mounts onto
 * them but does not make them (keel-init makes a new container's own while it mounts).
 */
int keel_make_mountpoint(const char *root, const char *path, int as_file)
{
	char prefix[4096];
	size_t len = strlen(path);
	if (path[0] != '/')
		return -EINVAL;
	if (len >= sizeof(prefix))
		return -ENAMETOOLONG;
	int root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return -errno;
	int rc = 0;
	for (size_t end = 1; end <= len; end++) {
		if ((path[end] != '/' && path[end] != '\0') || path[end - 1] == '/')
			continue;
		memcpy(prefix, path, end);
		prefix[end] = '\0';
		int fd = keel_openat2_in_root(root_fd, prefix, O_PATH, 0);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT) {
			rc = -errno;
			break;
		}
		/* The parent resolved in the step before (or is the root itself). */
		char *slash = strrchr(prefix, '/');
		const char *name = slash + 1;
		*slash = '\0';
		int parent = keel_openat2_in_root(root_fd, prefix[0] ? prefix : "/", O_PATH | O_DIRECTORY, 0);
		if (parent < 0) {
			rc = -errno;
			break;
		}
		int made = path[end] == '\0' && as_file ? openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644)
							: mkdirat(parent, name, 0755);
		int err = errno;
		if (made >= 0 && path[end] == '\0' && as_file)
			close(made);
		close(parent);
		/* EEXIST: a symlink whose target is missing; CRIU says so if it matters. */
		if (made < 0 && err != EEXIST) {
			rc = -err;
			break;
		}
		if (made < 0)
			break;
	}
	close(root_fd);
	return rc;
}

/* A connected AF_UNIX stream socket to path (the engine's --console-socket), close-on-exec. */
int keel_connect_unix(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Waits for a child; returns its raw wait status. Blocking: call it off the main thread. */
int keel_wait(int pid)
{
	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, __WALL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : status;
}

/* Like keel_wait, but returns -EAGAIN at once when the child is still running. */
int keel_try_wait(int pid)
{
	int status;
	pid_t r = waitpid(pid, &status, WNOHANG | __WALL);
	if (r == 0)
		return -EAGAIN;
	return r < 0 ? -errno : status;
}

/* Makes the caller the child subreaper: orphans of its descendants become its children (the
 * shim's containers without a PID namespace of their own), as containerd's shims are. */
int keel_set_child_subreaper(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ? -errno : 0;
}

/* The pid of a child that has exited, left unreaped (WNOWAIT), without waiting: 0 when none has
 * exited, or -errno (-ECHILD: no children at all). The shim's reaper looks first, so that it can
 * leave the children Node spawned itself to Node. */
int keel_peek_exited(void)
{
	siginfo_t info = { 0 };
	if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT | __WALL) < 0)
		return -errno;
	return info.si_pid;
}

static void deadline_after(struct timespec *deadline, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += ms / 1000;
	deadline->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
}

static long ms_until(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000L;
}

/*
 * Waits until `fd` can be read (data, or its peer gone: a read then returns at once) for at most
 * `timeout_ms` (-1: no limit). Returns 1 when readable, 0 when the time ran out, or -errno.
 * keel's waits on keel-init go through this, so that a process that holds the socket open and
 * never answers cannot hang keel.
 */
int keel_wait_readable(int fd, int timeout_ms)
{
	struct timespec deadline;
	deadline_after(&deadline, timeout_ms < 0 ? 0 : timeout_ms);
	for (int left = timeout_ms;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, left);
		if (r > 0)
			return 1;
		if (r == 0)
			return 0;
		if (errno != EINTR)
			return -errno;
		if (timeout_ms < 0)
			continue;
		long ms = ms_until(&deadline);
		if (ms <= 0)
			return 0;
		left = (int)ms;
	}
}

/*
 * Reaps the child `pid`, waiting at most `timeout_ms` for it to exit (a pidfd turns readable when
 * it does). Returns its raw wait status, -EAGAIN when it is still there at the deadline, or -errno
 * (-ECHILD, -ESRCH: not a child, or already reaped). A traced child may exit before its tracer
 * lets the parent reap it; that is waited for within the same time.
 */
int keel_wait_exit(int pid, int timeout_ms)
{
	struct timespec deadline;
	deadline_after(&deadline, timeout_ms);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	int r = keel_wait_readable(pidfd, timeout_ms);
	close(pidfd);
	if (r < 0)
		return r;
	for (;;) {
		int status = keel_try_wait(pid);
		if (status != -EAGAIN)
			return status;
		if (ms_until(&deadline) <= 0)
			return -EAGAIN;
		struct timespec tick = { 0, 1000000L };
		nanosleep(&tick, NULL);
	}
}

/* Receives an fd sent with SCM_RIGHTS: `wait` 0 fails with -EAGAIN when none is there yet. */
int keel_recv_fd(int sock, int wait)
{
	return keel_scm_recv(sock, wait ? 0 : MSG_DONTWAIT);
}

/*
 * Waits for the next message on sock and returns the fd it carries (SCM_RIGHTS), leaving the
 * message itself to be read: with MSG_PEEK the kernel installs a copy of the fd and keeps the
 * message queued. -EPROTO when it carries none (or the peer is gone). CRIU sends its notify
 * "orphan-pts-master" so, with the restored terminal's master, which a plain read would drop.
 */
int keel_peek_fd(int sock)
{
	return keel_scm_recv(sock, MSG_PEEK);
}

/* Sends `data` (the seccomp agent's process state, JSON) with `fd` as SCM_RIGHTS, in one sendmsg. */
int keel_send_fd(int sock, const char *data, int fd)
{
	return keel_scm_send(sock, data, strlen(data), fd);
}

/* The kernel verifier's words about the last device program it refused (empty if none). */
static char bpf_log[65536];

const char *keel_bpf_log(void)
{
	return bpf_log;
}

/*
 * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program (insns: struct bpf_insn[], compiled in TypeScript)
 * and attaches it to the cgroup v2 directory cgroup_dir, with BPF_F_ALLOW_MULTI so that programs
 * of parent cgroups still run. The attachment keeps the program alive: both fds are closed here.
 */
int keel_attach_device_program(const char *cgroup_dir, const uint8_t *insns, int insn_bytes)
{
	union bpf_attr load;
	memset(&load, 0, sizeof(load));
	bpf_log[0] = 0;
	load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	load.insn_cnt = (uint32_t)insn_bytes / 8;
	load.insns = (uint64_t)(uintptr_t)insns;
	load.license = (uint64_t)(uintptr_t) "GPL";
	load.expected_attach_type = BPF_CGROUP_DEVICE;
	int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0) {
		/* Again with the verifier's log, to say why (a log that overflows fails with ENOSPC,
		 * which is why the first try goes without one). */
		int err = errno;
		load.log_level = 1;
		load.log_size = sizeof(bpf_log);
		load.log_buf = (uint64_t)(uintptr_t)bpf_log;
		prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
		if (prog < 0)
			return -err;
	}
	int dir = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		int err = errno;
		close(prog);
		return -err;
	}
	union bpf_attr attach;
	memset(&attach, 0, sizeof(attach));
	attach.target_fd = (uint32_t)dir;
	attach.attach_bpf_fd = (uint32_t)prog;
	attach.attach_type = BPF_CGROUP_DEVICE;
	attach.attach_flags = BPF_F_ALLOW_MULTI;
	int r = (int)syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach));
	int err = errno;
	close(dir);
	close(prog);
	return r < 0 ? -err : 0;
}
