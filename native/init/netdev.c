/*
 * linux.netDevices: host network interfaces moved into the container's network namespace
 * (config-linux.md). While keel-init is still in the host's namespaces (netlink_host), it opens a
 * route netlink socket (which keeps talking to the host's network namespace) and forks a helper
 * that stays there: moving a device takes CAP_NET_ADMIN over the host's namespace in the mover's
 * own user namespace too, which keel-init loses when it makes the container's. Once the
 * container's network namespace exists, each device (net_device) is looked up and its permanent
 * global addresses read through the host's socket, the helper moves it into keel-init's network
 * namespace (and renames it), and keel-init gives it its addresses back and sets it up. The
 * kernel drops addresses when a device changes namespace; the spec keeps them.
 *
 * Also here: the loopback device of a new network namespace, set up as runc sets it up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init.h"

#define NL_BUF 32768

struct nl_req {
	struct nlmsghdr h;
	char body[1024];
};

static int rtnl_open(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static void add_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Sends one request and reads its answer: the ACK (0 or -1 with errno), or the reply into buf. */
static int rtnl_talk(int fd, struct nlmsghdr *req, char *reply, size_t reply_len)
{
	static uint32_t seq;
	req->nlmsg_seq = ++seq;
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	if (send(fd, req, req->nlmsg_len, 0) < 0)
		return -1;
	char buf[NL_BUF];
	for (;;) {
		int n = (int)recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				return err ? (errno = -err, -1) : 0;
			}
			if (reply && h->nlmsg_len <= reply_len)
				memcpy(reply, h, h->nlmsg_len);
		}
	}
}

/* The interface's index in the socket's namespace, by name; 0 and errno when it has none. */
static int link_index(int fd, const char *name)
{
	struct nl_req req = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_GETLINK } };
	add_attr(&req.h, IFLA_IFNAME, name, strlen(name) + 1);
	char reply[NL_BUF];
	memset(reply, 0, sizeof(struct nlmsghdr));
	if (rtnl_talk(fd, &req.h, reply, sizeof(reply)) < 0)
		return 0;
	struct nlmsghdr *h = (struct nlmsghdr *)reply;
	if (h->nlmsg_type != RTM_NEWLINK)
		return errno = ENODEV, 0;
	return ((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
}

static int link_set_up(int fd, int index)
{
	struct nl_req up = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_NEWLINK } };
	struct ifinfomsg *ifi = NLMSG_DATA(&up.h);
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return rtnl_talk(fd, &up.h, NULL, 0);
}

/*
 * The interface's permanent addresses of global scope, as RTM_NEWADDR requests for the new
 * namespace (ifindex left to fill in): prefix, family, and the address attributes only.
 */
static int global_addresses(int fd, int ifindex, char **out, size_t *out_len)
{
	struct nl_req req = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg)), .nlmsg_type = RTM_GETADDR, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 0x6b65656c } };
	if (send(fd, &req, req.h.nlmsg_len, 0) < 0)
		return -1;
	size_t cap = 4096, len = 0;
	char *list = malloc(cap), buf[NL_BUF];
	if (!list)
		return -1;
	for (;;) {
		int n = (int)recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return free(list), -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				*out = list;
				*out_len = len;
				return 0;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				return free(list), errno = -((struct nlmsgerr *)NLMSG_DATA(h))->error, -1;
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			if (h->nlmsg_type != RTM_NEWADDR || (int)ifa->ifa_index != ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
				continue;
			uint32_t flags = ifa->ifa_flags;
			int attr_len = (int)IFA_PAYLOAD(h);
			for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, attr_len); rta = RTA_NEXT(rta, attr_len))
				if (rta->rta_type == IFA_FLAGS)
					memcpy(&flags, RTA_DATA(rta), sizeof(flags));
			if (!(flags & IFA_F_PERMANENT))
				continue;
			if (len + sizeof(struct nl_req) > cap) {
				char *bigger = realloc(list, cap *= 2);
				if (!bigger)
					return free(list), -1;
				list = bigger;
			}
			struct nl_req *add = (struct nl_req *)(list + len);
			memset(add, 0, sizeof(*add));
			add->h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
			add->h.nlmsg_type = RTM_NEWADDR;
			add->h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
			struct ifaddrmsg *copy = NLMSG_DATA(&add->h);
			copy->ifa_family = ifa->ifa_family;
			copy->ifa_prefixlen = ifa->ifa_prefixlen;
			copy->ifa_scope = RT_SCOPE_UNIVERSE;
			attr_len = (int)IFA_PAYLOAD(h);
			for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, attr_len); rta = RTA_NEXT(rta, attr_len)) {
				if ((rta->rta_type == IFA_ADDRESS || rta->rta_type == IFA_LOCAL || rta->rta_type == IFA_BROADCAST) &&
				    RTA_PAYLOAD(rta) <= 16)
					add_attr(&add->h, rta->rta_type, RTA_DATA(rta), RTA_PAYLOAD(rta));
			}
			len += sizeof(struct nl_req);
		}
	}
}

/* What keel-init asks the helper: move this device into its network namespace under this name. */
struct move_request {
	int ifindex;
	char name[IFNAMSIZ];
};

/* Moves the device into the network namespace of process `pid`: 0, or an errno. */
static int move_device(int rtnl, pid_t pid, const struct move_request *req)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int netns = open(path, O_RDONLY | O_CLOEXEC);
	if (netns < 0)
		return errno;
	struct nl_req move = { .h = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = RTM_NEWLINK } };
	((struct ifinfomsg *)NLMSG_DATA(&move.h))->ifi_index = req->ifindex;
	add_attr(&move.h, IFLA_NET_NS_FD, &netns, sizeof(netns));
	add_attr(&move.h, IFLA_IFNAME, req->name, strnlen(req->name, IFNAMSIZ - 1) + 1);
	int err = rtnl_talk(rtnl, &move.h, NULL, 0) < 0 ? errno : 0;
	close(netns);
	return err;
}

/* The helper: answers each request with an errno, until keel-init closes its end. */
static void move_helper(int rtnl, int sock, pid_t keel_init)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	struct move_request req;
	while (recv(sock, &req, sizeof(req), 0) == (ssize_t)sizeof(req)) {
		req.name[IFNAMSIZ - 1] = '\0';
		int err = move_device(rtnl, keel_init, &req);
		if (send(sock, &err, sizeof(err), MSG_NOSIGNAL) != (ssize_t)sizeof(err))
			break;
	}
	_exit(0);
}

/* In the host's namespaces, before any changes: the host's netlink socket, and the helper. */
int op_netlink_host(struct init_ctx *ctx, const struct op *op)
{
	(void)op;
	int pair[2];
	ctx->host_rtnl = rtnl_open();
	if (ctx->host_rtnl < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "socket(AF_NETLINK, NETLINK_ROUTE) and a socket pair for moving network devices");
		return -1;
	}
	pid_t self = getpid();
	pid_t helper = fork();
	if (helper < 0) {
		int saved = errno;
		close(pair[0]);
		close(pair[1]);
		return errno = saved, -1;
	}
	if (helper == 0) {
		close(pair[0]);
		move_helper(ctx->host_rtnl, pair[1], self);
	}
	close(pair[1]);
	ctx->netdev_helper = pair[0];
	ctx->netdev_helper_pid = helper;
	return 0;
}

/* Ends the helper and closes the host's socket: the container keeps no handle on the host's namespace. */
static void netdev_done(struct init_ctx *ctx)
{
	if (ctx->netdev_helper > 0) {
		close(ctx->netdev_helper);
		ctx->netdev_helper = -1;
		waitpid(ctx->netdev_helper_pid, NULL, 0);
	}
	if (ctx->host_rtnl > 0) {
		close(ctx->host_rtnl);
		ctx->host_rtnl = -1;
	}
}

/* ints: last (1: close the host's socket after it)   strs: the host's interface name, its name in the container (may hold %d) */
int op_net_device(struct init_ctx *ctx, const struct op *op)
{
	const char *host_name = op->strs[0], *name = op->strs[1];
	int ifindex = link_index(ctx->host_rtnl, host_name);
	if (!ifindex) {
		snprintf(ctx->detail, sizeof(ctx->detail), "no network interface \"%.30s\" on the host", host_name);
		return errno = ENODEV, -1;
	}
	char *addrs = NULL;
	size_t addrs_len = 0;
	if (global_addresses(ctx->host_rtnl, ifindex, &addrs, &addrs_len) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "read the addresses of \"%.30s\" (RTM_GETADDR)", host_name);
		return -1;
	}
	int inside = rtnl_open();
	int rc = -1;
	if (inside < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "socket(AF_NETLINK, NETLINK_ROUTE) in the container's network namespace");
		goto out;
	}
	struct move_request req = { .ifindex = ifindex };
	snprintf(req.name, sizeof(req.name), "%s", name);
	int err = EPIPE;
	if (send(ctx->netdev_helper, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req) ||
	    recv(ctx->netdev_helper, &err, sizeof(err), 0) != (ssize_t)sizeof(err) || err) {
		errno = err;
		snprintf(ctx->detail, sizeof(ctx->detail), "move \"%.30s\" into the container's network namespace as \"%.30s\" (RTM_NEWLINK)%s",
			 host_name, name, errno == EEXIST ? ": that name is taken there (end it in %d for the kernel to pick one)" : "");
		goto out;
	}
	/* The kernel keeps the index unless the namespace has it already: look the device up by name. */
	int index = strchr(name, '%') ? ifindex : link_index(inside, name);
	if (!index) {
		snprintf(ctx->detail, sizeof(ctx->detail), "find \"%.30s\" in the container's network namespace", name);
		goto out;
	}
	for (size_t at = 0; at < addrs_len; at += sizeof(struct nl_req)) {
		struct nl_req *add = (struct nl_req *)(addrs + at);
		((struct ifaddrmsg *)NLMSG_DATA(&add->h))->ifa_index = (uint32_t)index;
		if (rtnl_talk(inside, &add->h, NULL, 0) < 0 && errno != EEXIST) {
			snprintf(ctx->detail, sizeof(ctx->detail), "give \"%.30s\" its address back (RTM_NEWADDR)", name);
			goto out;
		}
	}
	if (link_set_up(inside, index) < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "set \"%.30s\" up (RTM_NEWLINK)", name);
		goto out;
	}
	rc = 0;
out:;
	int saved = errno;
	free(addrs);
	if (op_int(op, 0))
		netdev_done(ctx);
	if (inside >= 0)
		close(inside);
	return errno = saved, rc;
}

/*
 * A new network namespace's loopback device starts down, so nothing in the container could reach
 * 127.0.0.1; runc sets it up (its "loopback" network), and engines expect it up.
 */
int op_loopback_up(struct init_ctx *ctx, const struct op *op)
{
	(void)op;
	int fd = rtnl_open();
	if (fd < 0) {
		snprintf(ctx->detail, sizeof(ctx->detail), "socket(AF_NETLINK, NETLINK_ROUTE) in the container's network namespace");
		return -1;
	}
	int index = link_index(fd, "lo");
	int rc = index ? link_set_up(fd, index) : -1;
	if (rc < 0)
		snprintf(ctx->detail, sizeof(ctx->detail), index ? "set \"lo\" up (RTM_NEWLINK)" : "find \"lo\" in the container's network namespace (RTM_GETLINK)");
	int saved = errno;
	close(fd);
	return errno = saved, rc;
}
