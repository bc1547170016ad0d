#include "supervisor/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un addr;
static socklen_t addrlen; /* 0: no manager listening */

void sdnotify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len = path ? strlen(path) : 0;
	if (len >= 2 && len < sizeof addr.sun_path && (path[0] == '/' || path[0] == '@')) {
		addr.sun_family = AF_UNIX;
		memcpy(addr.sun_path, path, len);
		if (path[0] == '@') /* abstract namespace */
			addr.sun_path[0] = '\0';
		addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				      (path[0] == '/'));
	}
	unsetenv("NOTIFY_SOCKET");
}

int sdnotify_send(const char *msg)
{
	if (!addrlen)
		return 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = 0;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen) < 0)
		r = -errno;
	close(fd);
	return r;
}
