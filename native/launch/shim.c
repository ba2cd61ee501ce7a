/*
 * dist/containerd-shim-keel-v1: the program containerd runs for keel's shim runtime
 * (io.containerd.keel.v1). `start` is done here, without Node: containerd waits for its answer
 * before anything else of the container happens, and a Node start there cost ~60 ms of every
 * `ctr run`. Every other action (the long-lived shim itself, delete, version) is Node running
 * containerd-shim-keel-v1.cjs beside this file (execve, same pid, the caller's argv).
 *
 * start, as containerd's runtime v2 contract asks (runtime/v2/README.md): find the group's
 * socket (shim-rules.c); print its address if a shim already answers there; else bind it, write
 * the bundle's "address" file, and start the long-lived shim in a session of its own with the
 * listening socket as fd 3 and its stderr on the bundle's "log" fifo (containerd copies that
 * into its own log), one step easier for the OOM killer than containerd; then print the address
 * and nothing else (containerd reads stdout and stderr together as the address).
 *
 * delete, when keel's state holds nothing of the container any more, is done here too (see
 * delete_if_gone): containerd runs it after every container whose shim connection it closes,
 * and waits for it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "shim-rules.h"

#ifndef KEEL_NODE
#error "build with -DKEEL_NODE=\"/path/to/node\" (the node that built containerd-shim-keel-v1.cjs)"
#endif

/* Node's flags for the long-lived shim (the Makefile's SHIM_NODE_FLAGS), words split at spaces. */
#ifndef KEEL_SHIM_NODE_FLAGS
#define KEEL_SHIM_NODE_FLAGS ""
#endif

#define NAME "containerd-shim-keel-v1"
#define SCRIPT NAME ".cjs"
/* Larger runtime options or config files than these are not what containerd or an operator sends. */
#define MAX_STDIN (1 << 20)
#define MAX_CONFIG (64 << 20)

struct flags {
	const char *namespace, *address, *publish_binary, *id, *bundle, *action;
	int debug;
};

/* The command line as Go's flag package reads it (src/shim/address.ts parseShimFlags): 0 if it cannot. */
static int parse_flags(int argc, char **argv, struct flags *f)
{
	static const struct {
		const char *name;
		size_t offset;
	} names[] = {
		{ "namespace", offsetof(struct flags, namespace) },
		{ "address", offsetof(struct flags, address) },
		{ "publish-binary", offsetof(struct flags, publish_binary) },
		{ "id", offsetof(struct flags, id) },
		{ "bundle", offsetof(struct flags, bundle) },
	};
	*f = (struct flags){ "", "", "", "", "", "", 0 };
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name = arg + (arg[0] == '-') + (arg[0] == '-' && arg[1] == '-');
		size_t len = strcspn(name, "=");
		if (arg[0] != '-' || !len || strspn(name, "abcdefghijklmnopqrstuvwxyz-") != len) {
			f->action = arg;
			break;
		}
		const char *inline_value = name[len] == '=' ? name + len + 1 : NULL;
		if (len == 5 && !strncmp(name, "debug", 5)) {
			f->debug = !inline_value || !strcmp(inline_value, "true");
			continue;
		}
		if ((len == 1 && name[0] == 'v') || (len == 7 && !strncmp(name, "version", 7))) {
			f->action = "version";
			continue;
		}
		if (len == 6 && !strncmp(name, "socket", 6)) {
			if (!inline_value)
				i++;
			continue;
		}
		const char **slot = NULL;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (strlen(names[k].name) == len && !strncmp(name, names[k].name, len))
				slot = (const char **)((char *)f + names[k].offset);
		if (!slot)
			return 0;
		if (!inline_value && i + 1 >= argc)
			return 0;
		*slot = inline_value ? inline_value : argv[++i];
	}
	return 1;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, NAME ": %s\n", line);
	return 1;
}

/* A file's whole content (NUL-terminated, *len without it); NULL with errno set. */
static char *read_fd(int fd, size_t max, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			return NULL;
		if (n == cap) {
			if (cap >= max) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			char *more = realloc(buf, (cap *= 2) + 1);
			if (!more)
				free(buf);
			buf = more;
			continue;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int saved = errno;
			free(buf);
			errno = saved;
			return NULL;
		}
		if (!got)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *text = read_fd(fd, max, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return text;
}

/*
 * How this runtime's containers share shims. containerd writes the runtime options (a protobuf
 * Any) on start's stdin when it has some, and leaves stdin on /dev/null otherwise. The whole shim
 * config is checked here (its systemdCgroup is for the long-lived shim's Create), so that a bad
 * one fails start, whose error ctr shows, before any shim runs.
 */
static int grouping_from_stdin(enum shim_grouping *grouping)
{
	struct stat st;
	struct shim_config settings;
	*grouping = GROUP_BY_POD;
	if (fstat(0, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode)))
		return 0;
	size_t len;
	char *any = read_fd(0, MAX_STDIN, &len), *path, error[256];
	if (!any)
		return fail("read the runtime options on stdin: %s", strerror(errno));
	int ok = shim_options_config_path((const unsigned char *)any, len, &path, error, sizeof(error));
	free(any);
	if (!ok)
		return fail("%s", error);
	if (!path)
		return 0;
	char *config = read_file(path, MAX_CONFIG, &len);
	if (!config) {
		fail("read the shim config %s (the runtime options' ConfigPath): %s", path, strerror(errno));
		free(path);
		return 1;
	}
	ok = shim_config_of(config, len, &settings, error, sizeof(error));
	free(config);
	if (!ok)
		fail("shim config %s: %s", path, error);
	*grouping = settings.grouping;
	free(path);
	return !ok;
}

/* Whether a shim answers on path: a connection is taken, or waits in a full backlog. */
static int shim_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN || errno == EINPROGRESS;
	close(fd);
	return live;
}

/* The bundle's "address" file, written atomically as containerd's shims do. */
static int write_address(const char *address)
{
	int fd = open(".address", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return fail("open .address in the bundle: %s", strerror(errno));
	size_t len = strlen(address);
	int ok = write(fd, address, len) == (ssize_t)len;
	int saved = errno;
	close(fd);
	if (!ok)
		return fail("write .address in the bundle: %s", strerror(saved));
	if (rename(".address", "address") < 0)
		return fail("rename .address to address in the bundle: %s", strerror(errno));
	return 0;
}

/* The directory of the real file of this program (no trailing '/'). */
static int own_dir(char dir[PATH_MAX])
{
	ssize_t len = readlink("/proc/self/exe", dir, PATH_MAX - 1);
	if (len < 0)
		return 0;
	dir[len] = '\0';
	*strrchr(dir, '/') = '\0';
	return 1;
}

/*
 * In the forked child: the long-lived shim's fds (0 and 1 /dev/null, 2 the log, 3 the socket,
 * nothing else), a session of its own, default signals, then Node. On failure errno goes to
 * report (close-on-exec: the parent reads EOF when exec succeeds).
 */
static void exec_long_lived(int sock, int log, int report, char *const *args)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), err;
	const char *call = "open /dev/null";
	if (null < 0)
		goto out;
	call = "setsid";
	if (setsid() < 0)
		goto out;
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
	/* Out of the way of 0-3 first, then into place (dup2 clears close-on-exec). */
	call = "fcntl F_DUPFD_CLOEXEC";
	int from[4] = { null, null, log >= 0 ? log : null, sock };
	for (int i = 0; i < 4; i++)
		if ((from[i] = fcntl(from[i], F_DUPFD_CLOEXEC, 10)) < 0)
			goto out;
	call = "dup2";
	for (int i = 0; i < 4; i++)
		if (dup2(from[i], i) < 0)
			goto out;
	execv(KEEL_NODE, args);
	call = "exec " KEEL_NODE;
out:
	err = errno;
	dprintf(report, "%s: %s", call, strerror(err));
	_exit(127);
}

/* Starts the long-lived shim (see exec_long_lived) and returns its pid, or -1 after saying why. */
static pid_t spawn_long_lived(const struct flags *f, int sock, int log, const char *script)
{
	char node_flags[] = KEEL_SHIM_NODE_FLAGS, *args[sizeof(node_flags) / 2 + 16], *save = NULL;
	size_t n = 0;
	args[n++] = "node";
	for (char *word = strtok_r(node_flags, " ", &save); word; word = strtok_r(NULL, " ", &save)) args[n++] = word;
	char *shim_args[] = { (char *)script, "-namespace", (char *)f->namespace, "-id", (char *)f->id, "-address", (char *)f->address, "-publish-binary", (char *)f->publish_binary };
	for (size_t i = 0; i < sizeof(shim_args) / sizeof(shim_args[0]); i++) args[n++] = shim_args[i];
	if (f->debug)
		args[n++] = "-debug";
	args[n] = NULL;
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0)
		return fail("pipe2: %s", strerror(errno)), -1;
	pid_t pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		close(report[0]), close(report[1]);
		return -1;
	}
	if (!pid)
		exec_long_lived(sock, log, report[1], args);
	close(report[1]);
	size_t len;
	char *why = read_fd(report[0], 4096, &len);
	close(report[0]);
	if (why && len) {
		fail("start the long-lived shim: %s", why);
		free(why);
		return -1;
	}
	free(why);
	return pid;
}

/* The shim is a little easier for the OOM killer to pick than containerd (start's parent), as containerd's shims are. */
static void adjust_oom_score(pid_t pid)
{
	char path[64], value[32];
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)getppid());
	size_t len;
	char *parent = read_file(path, 64, &len);
	if (!parent)
		return;
	int score = atoi(parent) + 1;
	free(parent);
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	snprintf(value, sizeof(value), "%d", score > 1000 ? 1000 : score);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Best effort: lowering it needs CAP_SYS_RESOURCE, which a containerd without it cannot pass on. */
	if (write(fd, value, strlen(value)) < 0) {
	}
	close(fd);
}

/* The rest of start once the group's socket is bound: listen, hand it to a new long-lived shim, print its address. */
static int serve_bound(const struct flags *f, const char *script, int sock, int lock, const char *path, const char *address)
{
	/* Node's default backlog, as the shim's own listen had. */
	if (listen(sock, 511) < 0)
		return fail("listen %s: %s", path, strerror(errno));
	close(lock);
	if (chmod(path, 0600) < 0)
		return fail("chmod %s: %s", path, strerror(errno));
	if (write_address(address))
		return 1;
	/* containerd holds the read end of the bundle's "log" fifo; without a reader the shim logs nowhere. */
	int log = open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	pid_t pid = spawn_long_lived(f, sock, log, script);
	if (pid < 0)
		return 1;
	adjust_oom_score(pid);
	fputs(address, stdout);
	return 0;
}

static int start(const struct flags *f, const char *script)
{
	enum shim_grouping grouping;
	if (grouping_from_stdin(&grouping))
		return 1;
	char *group, error[256], address[SHIM_ADDRESS_SIZE];
	if (grouping == GROUP_BY_NAMESPACE) {
		group = strdup(f->namespace);
		if (!group)
			return fail("out of memory");
	} else {
		size_t len;
		char *config = read_file("config.json", MAX_CONFIG, &len);
		if (!config)
			return fail("read config.json in the bundle: %s", strerror(errno));
		int ok = shim_group(config, len, f->id, &group, error, sizeof(error));
		free(config);
		if (!ok)
			return fail("%s", error);
	}
	int ok = shim_socket_address(f->address, f->namespace, group, address);
	free(group);
	if (!ok)
		return fail("out of memory");
	const char *path = address + strlen("unix://");

	/* Like Node's mkdir -p with mode 0711: only what is missing is made. */
	if (mkdir("/run/containerd", 0711) < 0 && errno != EEXIST)
		return fail("mkdir /run/containerd: %s", strerror(errno));
	if (mkdir(SHIM_SOCKET_DIR, 0711) < 0 && errno != EEXIST)
		return fail("mkdir " SHIM_SOCKET_DIR ": %s", strerror(errno));
	/*
	 * One start at a time looks at and binds sockets: another start's socket is bound a moment
	 * before it listens, and a look in between would take it for a stale one and replace it,
	 * leaving that start's shim with no name and so no container, for ever. With one shim per
	 * namespace, starts of one group at once are the rule. The lock goes with the listen.
	 */
	int lock = open(SHIM_SOCKET_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return fail("lock " SHIM_SOCKET_DIR ": %s", strerror(errno));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return fail("socket: %s", strerror(errno));
	if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EADDRINUSE)
			return fail("bind %s: %s", path, strerror(errno));
		if (shim_answers(path)) {
			/* Another container of the same group: its shim serves this one too. */
			if (write_address(address))
				return 1;
			fputs(address, stdout);
			return 0;
		}
		/* Left by a shim that is gone. */
		if (unlink(path) < 0 && errno != ENOENT)
			return fail("unlink %s: %s", path, strerror(errno));
		if (bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return fail("bind %s: %s", path, strerror(errno));
	}
	/* A socket bound here and not handed to a shim is no shim's: its name goes too. */
	if (serve_bound(f, script, sock, lock, path, address)) {
		unlink(path);
		return 1;
	}
	return 0;
}

/* Whether dir (which may not exist) holds an entry whose name begins with prefix. */
static int has_entry_starting(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno != ENOENT;
	size_t len = strlen(prefix);
	struct dirent *e;
	int found = 0;
	while (!found && (e = readdir(d))) found = !strncmp(e->d_name, prefix, len);
	closedir(d);
	return found;
}

/*
 * delete (runtime/v2/README.md): containerd runs it when it has closed its connection to a
 * container's shim, after each Delete and Shutdown as well as after a shim died, and waits for
 * it before it answers the client: for a container the Node shim has deleted already, a Node
 * start there was ~60 ms of every `ctr run --rm`. When keel's state under the root the shim
 * used (the bundle's keel-shim.json) holds neither the container nor a claim of its id in
 * progress, what is left to do is the Node delete's rest: take the mounts off <bundle>/rootfs
 * (src/shim/rootfs.ts unmountRootfs) and print a DeleteResponse (pid 0 as the state is gone,
 * exit status 137 as runc's shim reports). Returns -1 for anything else: Node's delete
 * (src/shim/main.ts) kills and removes what is left.
 */
static int delete_if_gone(const struct flags *f)
{
	if (!shim_plain_id(f->id) || !*f->namespace)
		return -1;
	char cwd[PATH_MAX], path[PATH_MAX], error[256], *root;
	const char *bundle = f->bundle;
	if (!*bundle) {
		if (!getcwd(cwd, sizeof(cwd)))
			return -1;
		bundle = cwd;
	}
	size_t len;
	if (snprintf(path, sizeof(path), "%s/" SHIM_BUNDLE_STATE_FILE, bundle) >= (int)sizeof(path))
		return -1;
	char *state = read_file(path, MAX_CONFIG, &len);
	if (!state)
		return -1;
	int ok = shim_state_root(state, len, &root, error, sizeof(error));
	free(state);
	if (!ok)
		return -1;
	struct stat st;
	char claim[PATH_MAX];
	int gone = snprintf(path, sizeof(path), "%s/%s", root, f->id) < (int)sizeof(path) && lstat(path, &st) < 0 && errno == ENOENT &&
		   snprintf(claim, sizeof(claim), "%s@", f->id) < (int)sizeof(claim) && !has_entry_starting(root, claim);
	free(root);
	if (!gone)
		return -1;
	if (snprintf(path, sizeof(path), "%s/rootfs", bundle) >= (int)sizeof(path))
		return -1;
	/* Each umount2 takes the top one of stacked mounts; EINVAL says none is left. Busy: detached. */
	for (int i = 0; i < 16; i++)
		if (umount2(path, 0) < 0) {
			if (errno == EINVAL || errno == ENOENT)
				break;
			if (umount2(path, MNT_DETACH) < 0)
				return -1;
		}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	unsigned char response[SHIM_DELETE_RESPONSE_MAX];
	size_t n = shim_delete_response(0, 128 + SIGKILL, now.tv_sec, (int32_t)now.tv_nsec, response);
	return fwrite(response, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : fail("write the DeleteResponse: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], script[PATH_MAX + sizeof("/" SCRIPT)];
	if (!own_dir(dir)) {
		fprintf(stderr, NAME ": cannot find " SCRIPT ": readlink /proc/self/exe: %s (is /proc mounted?)\n", strerror(errno));
		return 127;
	}
	snprintf(script, sizeof(script), "%s/" SCRIPT, dir);
	struct flags f;
	int parsed = parse_flags(argc, argv, &f);
	if (parsed && !strcmp(f.action, "start") && *f.namespace)
		return start(&f, script);
	int deleted = parsed && !strcmp(f.action, "delete") ? delete_if_gone(&f) : -1;
	if (deleted >= 0)
		return deleted;

	/* Anything else, flags Node should refuse included, is the Node shim's. */
	char **args = calloc((size_t)argc + 2, sizeof(*args));
	if (!args)
		return 127;
	args[0] = "node";
	args[1] = script;
	for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
	execv(KEEL_NODE, args);
	fprintf(stderr, NAME ": exec %s: %s\n", KEEL_NODE, strerror(errno));
	return 127;
}
