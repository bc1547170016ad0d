/* sockstat — a listening socket's accept queue (sockstat.h). */
#include "supervisor/sockstat.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* TCP_INFO of a listener: tcpi_unacked is its accept queue's length and
 * tcpi_sacked its backlog (tcp_get_info() in the kernel). */
static int tcp_queue(int fd, uint32_t *queued, uint32_t *backlog)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;
	memset(&ti, 0, sizeof ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return -errno;
	if (ti.tcpi_state != 10 /* TCP_LISTEN */)
		return -EINVAL;
	*queued = ti.tcpi_unacked;
	*backlog = ti.tcpi_sacked;
	return 0;
}

/* sock_diag of the unix socket FD, found by its inode: UNIX_DIAG_RQLEN of
 * a listener holds its queue's length and its backlog. */
static int unix_queue(int fd, uint32_t *queued, uint32_t *backlog)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (nl < 0)
		return -errno;
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} rq = {
		.nlh = { .nlmsg_len = sizeof rq, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST },
		.req = { .sdiag_family = AF_UNIX, .udiag_ino = (uint32_t)st.st_ino,
			 .udiag_states = ~0u, .udiag_show = UDIAG_SHOW_RQLEN,
			 .udiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int r = -EIO;
	ssize_t n;
	do
		n = sendto(nl, &rq, sizeof rq, 0, (struct sockaddr *)&kernel, sizeof kernel);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	/* One answer: the socket's message, or an error. */
	long buf[1024];
	do
		n = recv(nl, buf, sizeof buf, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);
			r = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error ? e->error : -EIO;
			goto out;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct unix_diag_msg)))
			continue;
		const struct unix_diag_msg *m = NLMSG_DATA(h);
		if (m->udiag_ino != (uint32_t)st.st_ino)
			continue;
		if (m->udiag_state != 10 /* TCP_LISTEN */) {
			r = -EINVAL;
			goto out;
		}
		int alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
		for (struct rtattr *a = (struct rtattr *)(m + 1); RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type != UNIX_DIAG_RQLEN ||
			    RTA_PAYLOAD(a) < sizeof(struct unix_diag_rqlen))
				continue;
			const struct unix_diag_rqlen *q = RTA_DATA(a);
			*queued = q->udiag_rqueue;
			*backlog = q->udiag_wqueue;
			r = 0;
			goto out;
		}
		r = -ENODATA;
		goto out;
	}
out:
	close(nl);
	return r;
}

int sockstat_listen_queue(int fd, enum socket_kind kind, uint32_t *queued, uint32_t *backlog)
{
	switch (kind) {
	case SOCKET_TCP:
		return tcp_queue(fd, queued, backlog);
	case SOCKET_UNIX:
		return unix_queue(fd, queued, backlog);
	case SOCKET_UDP:
		break;
	}
	return -EOPNOTSUPP;
}
