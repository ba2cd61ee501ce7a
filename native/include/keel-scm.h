/*
 * Passing an fd over a unix socket (SCM_RIGHTS), shared by keel-init (the pty master to the
 * console socket, the seccomp notify fd to keel) and libkeel (the notify fd on to the agent).
 * Header-only: the two are separate binaries, and keel-init is static.
 */
#ifndef KEEL_SCM_H
#define KEEL_SCM_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Sends `len` bytes of `data` (at least one: a message must carry a byte) with `fd`, in one
 * sendmsg. Returns 0, or -errno (-EMSGSIZE when the kernel took only part of the data). */
static inline int keel_scm_send(int sock, const void *data, size_t len, int fd)
{
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	ssize_t n;
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Receives one message carrying an fd (close-on-exec); its payload (up to 256 bytes) is dropped.
 * `flags` is 0 to wait, or MSG_DONTWAIT. Returns the fd, or -errno (-EPROTO: no fd came). */
static inline int keel_scm_recv(int sock, int flags)
{
	char payload[256];
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	ssize_t n;
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (n == 0 || !cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EPROTO;
	int fd;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

#endif
