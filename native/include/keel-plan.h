/*
 * The contract between keel's TypeScript plan compiler (src/plan/) and keel-init.
 *
 * A plan is a flat, ordered list of primitive operations. TypeScript decides *what* happens and
 * in which order; keel-init only carries each op out and, when one fails, reports the op's index
 * and errno so that keel can say what the op was for. Keep this file and src/plan/ops.ts,
 * src/plan/encode.ts and src/container/init-protocol.ts in step: test/unit/native-contract.test.ts
 * compares every value and the layout of struct keel_msg.
 *
 * Encoding (little endian):
 *   header: "KEELPLAN", u32 version, u32 op_count
 *   op:     u32 code, u32 n_ints, u32 n_strs, i64 ints[n_ints], n_strs x (u32 len, bytes, '\0')
 */
#ifndef KEEL_PLAN_H
#define KEEL_PLAN_H

#include <stdint.h>

#define KEEL_PLAN_MAGIC "KEELPLAN"
#define KEEL_PLAN_VERSION 1

/* clang-format off */
enum keel_op_code {
	/* Namespace phase: run by the first keel-init process, a direct child of keel. */
	OP_SETNS = 1,        /* ints: nstype            strs: path */
	OP_UNSHARE = 2,      /* ints: clone flags */
	OP_SYNC = 3,         /* ints: tag; waits until keel answers (cgroup join, id maps, hooks) */
	OP_FORK_INIT = 4,    /* the rest runs in a child (PID 1 of a new PID namespace) */
	OP_SET_IDS = 5,      /* ints: uid, gid (setresgid/setresuid, e.g. root of a new userns) */

	/* Container phase: run by the container's init process. */
	OP_PREPARE_ROOTFS = 10, /* ints: propagation flags for "/"   strs: rootfs host path */
	OP_MOUNT = 11,       /* ints: flags, propagation, bind-remount flags, create-as, copy-up (0/1),
	                      *       flags of the bind's source the remount drops, checks (keel_mount_check)
	                      * strs: source, destination (in root), fstype, data */
	OP_MKNOD = 12,       /* ints: mode (type|perm), major, minor, uid, gid   strs: path */
	OP_SYMLINK = 13,     /* strs: target, link path (in root) */
	OP_MKDIR = 14,       /* strs: path (in root), made with its parents, mode 0755 */
	OP_PIVOT_ROOT = 15,
	OP_CHROOT = 16,      /* for a ramfs root, where pivot_root cannot work */
	OP_REMOUNT = 17,     /* ints: flags to add (keeps the existing ones)   strs: path (in root) */
	OP_SET_PROPAGATION = 18, /* ints: flags   strs: path (in root) */
	OP_MASK_PATH = 19,   /* strs: path (in root); /dev/null over a file, ro tmpfs over a dir */
	OP_READONLY_PATH = 20, /* strs: path (in root) */
	OP_SETHOSTNAME = 21, /* strs: name */
	OP_SETDOMAINNAME = 22, /* strs: name */
	OP_WRITE_FILE = 23,  /* strs: absolute path, content */
	OP_SETRLIMIT = 24,   /* ints: resource, soft, hard (-1 = unlimited) */
	OP_UMASK = 25,       /* ints: mask */
	OP_CHDIR = 26,       /* ints: as_root (1: EACCES/EPERM left for the 0 one), strs: path */
	OP_SET_USER = 27,    /* ints: uid, gid, groups given (0/1), groups...; none when 0 */
	OP_CAPS = 28,        /* ints: effective, permitted, inheritable, ambient (bit masks) */
	OP_NO_NEW_PRIVS = 29,
	OP_SECCOMP = 30,     /* ints: flags, listener (0/1)   strs: sock_filter program bytes */
	OP_RESOLVE_EXEC = 31, /* strs: argv[0], PATH */
	OP_WAIT_START = 32,  /* ints: fd of the exec fifo; reports READY first */
	OP_EXEC = 33,        /* ints: argc, envc   strs: argv..., env...; only execve, nothing else */
	OP_SETSID = 34,
	OP_BOUNDING_SET = 35, /* ints: capabilities to keep; needs CAP_SETPCAP, so before OP_SET_USER */
	OP_NOT_DUMPABLE = 36, /* before joining a container: nothing in it may reach us via /proc */
	OP_CONSOLE = 37,     /* ints: console socket fd, rows, cols; after OP_SETSID */
	OP_RUN_HOOK = 38,    /* ints: argc, envc, timeout (s)   strs: path, argv..., env..., state JSON */
	OP_SCHEDULER = 39,   /* ints: policy, flags, nice, priority, runtime, deadline, period (sched_setattr) */
	OP_IOPRIO = 40,      /* ints: ioprio value (class << 13 | level) */
	OP_PERSONALITY = 41, /* ints: persona */
	OP_PREPARE_EXEC = 42, /* ints: first fd the program must not get: it and every fd above it
	                       * become close-on-exec; then MSG_EXECUTING. Comes before the seccomp
	                       * filter, so that the filter is followed by nothing it could deny but
	                       * OP_CAPS (without no_new_privs) and execve. */
	/* 50 on: the ops of issue #16 (config fields keel used to drop). */
	OP_SESSION_KEYRING = 50, /* ints: permission bits to add (0: none)   strs: keyring name */
	OP_MOUNT_SETATTR = 51, /* ints: MOUNT_ATTR_* to set, to clear   strs: path (in root);
	                        * mount_setattr(AT_RECURSIVE): the mount and every mount below it */
	OP_IDMAP_PREPARE = 52, /* ints: slot, recursion (1: rbind, 2: ridmap), MOUNT_ATTR_* to set, to clear
	                        * strs: source (host path), uid_map, gid_map; as the host's root, before
	                        * any namespace: an id-mapped detached copy of the source, kept in the slot */
	OP_MOUNT_IDMAPPED = 53, /* ints: slot, create-as, checks, propagation   strs: destination (in root);
	                         * move_mount of the slot's copy onto the destination */
	OP_CPU_AFFINITY = 54, /* ints: the CPUs (sched_setaffinity) */
	OP_MEMORY_POLICY = 55, /* ints: mode | flags, then the nodes (set_mempolicy) */
	OP_NETLINK_HOST = 56, /* opens a route netlink socket in the host's network namespace;
	                       * before any namespace changes, for OP_NET_DEVICE */
	OP_NET_DEVICE = 57,   /* ints: last (closes the host's socket after it)
	                       * strs: host interface, name in the container (may hold %d); moves it
	                       * into the current network namespace, with its permanent global
	                       * addresses, and sets it up */
	OP_LOOPBACK_UP = 58,  /* sets "lo" up in the current (new) network namespace */
	OP_REOPEN_DEV_NULL = 59, /* after pivot_root, where the container has its own /dev: each of
	                          * fds 0-2 that is a /dev/null becomes the container's /dev/null */
	OP_MAX
};

/* Tags of OP_SYNC: what keel does while the container waits. */
enum keel_sync_tag {
	SYNC_CGROUP = 1,     /* keel moves the process into its cgroups */
	SYNC_ID_MAPS = 2,    /* keel writes uid_map/gid_map (and setgroups) */
	SYNC_CREATE_RUNTIME_HOOKS = 3,
	SYNC_CREATE_CONTAINER_HOOKS = 4,
	SYNC_SECCOMP_LISTENER = 5, /* the notify fd follows in a message of its own (SCM_RIGHTS);
	                            * keel sends it to the seccomp agent with the process state */
};

/* Messages on the SOCK_SEQPACKET pair between keel and keel-init. */
enum keel_msg_type {
	MSG_PLAN_OK = 1,     /* init -> keel: plan decoded, value = pid of the first init */
	MSG_SYNC = 2,        /* init -> keel: value = tag; keel answers MSG_CONTINUE or MSG_ABORT */
	MSG_INIT_PID = 3,    /* init -> keel: value = pid of the container init (keel's pid namespace) */
	MSG_READY = 4,       /* init -> keel: set up, waiting on the exec fifo */
	MSG_ERROR = 5,       /* init -> keel: op_index failed with err (errno), detail says more */
	MSG_CONTINUE = 6,    /* keel -> init */
	MSG_ABORT = 7,       /* keel -> init */
	MSG_EXECUTING = 8,   /* init -> keel: execve comes next; EOF follows on success, MSG_ERROR if not */
	MSG_COMMIT = 9,      /* keel -> init: state.json names the init; it may now outlive keel.
	                      * value: 1 when keel keeps reading (a foreground `run`) and reports a
	                      * later failure itself; 0 when keel leaves, and the init then writes a
	                      * failure after `start` to the container's stderr */
};

struct keel_msg {
	int32_t type;
	int32_t op_index;
	int32_t err;
	int32_t value;
	char detail[240];
};

/* How OP_MOUNT creates a missing destination. */
enum keel_create_as { CREATE_DIR = 0, CREATE_FILE = 1 };
/* clang-format on */

/* Id-mapped mounts a plan may have (OP_IDMAP_PREPARE slots). */
#define KEEL_MAX_IDMAPPED 64

/* What OP_MOUNT checks of its destination, once resolved in the root, before it mounts. */
enum keel_mount_check {
	MOUNT_NOT_ON_PROCFS = 1, /* not inside a proc mount (a symlink may lead there) */
	MOUNT_NO_SYMLINKS = 2,   /* a directory reached without any symlink (proc, sysfs) */
};

#endif
