/* healthspec — the pure parts of health checks (healthspec.h). */
#include "supervisor/healthspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "HOST:PORT" with HOST an IPv4 address or [IPv6], up to END: into S. */
static int parse_hostport(const char *hp, size_t n, struct health_spec *s, char *err,
			  size_t errlen)
{
	char host[INET6_ADDRSTRLEN], port[8];
	const char *colon;
	if (n > 0 && hp[0] == '[') {
		const char *close = memchr(hp, ']', n);
		if (!close || (size_t)(close - hp) - 1 >= sizeof host || close + 1 >= hp + n ||
		    close[1] != ':')
			return snprintf(err, errlen, "expected [IPv6]:PORT"), -EINVAL;
		memcpy(host, hp + 1, (size_t)(close - hp) - 1);
		host[close - hp - 1] = '\0';
		colon = close + 1;
	} else {
		colon = memrchr(hp, ':', n);
		if (!colon)
			return snprintf(err, errlen, "a port is needed: HOST:PORT"), -EINVAL;
		if ((size_t)(colon - hp) >= sizeof host || colon == hp)
			return snprintf(err, errlen, "expected a numeric host before the port"), -EINVAL;
		memcpy(host, hp, (size_t)(colon - hp));
		host[colon - hp] = '\0';
	}
	size_t plen = (size_t)(hp + n - colon - 1);
	if (plen == 0 || plen >= sizeof port || strspn(colon + 1, "0123456789") < plen)
		return snprintf(err, errlen, "expected a port number from 1 to 65535"), -EINVAL;
	memcpy(port, colon + 1, plen);
	port[plen] = '\0';
	long pn = strtol(port, NULL, 10);
	if (pn < 1 || pn > 65535)
		return snprintf(err, errlen, "expected a port number from 1 to 65535"), -EINVAL;

	memset(&s->addr, 0, sizeof s->addr);
	struct sockaddr_in *in4 = (struct sockaddr_in *)&s->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->addr;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)pn);
		s->addrlen = sizeof *in4;
		snprintf(s->host, sizeof s->host, "%s:%ld", host, pn);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)pn);
		s->addrlen = sizeof *in6;
		snprintf(s->host, sizeof s->host, "[%s]:%ld", host, pn);
	} else {
		return snprintf(err, errlen, "'%s' is not a numeric IPv4 or [IPv6] address "
				"(names are not resolved)", host), -EINVAL;
	}
	return 0;
}

int healthspec_parse(const char *value, struct health_spec *s, char *err, size_t errlen)
{
	memset(s, 0, sizeof *s);
	if (strncmp(value, "http://", 7) == 0) {
		const char *hp = value + 7;
		size_t n = strcspn(hp, "/?#");
		s->kind = HEALTH_HTTP;
		int r = parse_hostport(hp, n, s, err, errlen);
		if (r < 0)
			return r;
		const char *path = hp + n;
		if (*path == '#')
			path = "";
		size_t plen = strcspn(path, "#");
		if (plen + 2 > sizeof s->path)
			return snprintf(err, errlen, "path longer than %d bytes", HEALTH_PATH_MAX - 2),
			       -EINVAL;
		for (size_t i = 0; i < plen; i++)
			if ((unsigned char)path[i] <= ' ' || path[i] == 0x7f)
				return snprintf(err, errlen, "a blank or control character in the path"),
				       -EINVAL;
		snprintf(s->path, sizeof s->path, "%s%.*s", path[0] == '/' ? "" : "/", (int)plen, path);
		return 0;
	}
	if (strncmp(value, "tcp:", 4) == 0) {
		s->kind = HEALTH_TCP;
		return parse_hostport(value + 4, strlen(value + 4), s, err, errlen);
	}
	if (strncmp(value, "exec:", 5) == 0) {
		const char *cmd = value + 5;
		cmd += strspn(cmd, " \t");
		if (cmd[0] != '/')
			return snprintf(err, errlen, "exec: needs an absolute path, as exec:/bin/check ARG ..."),
			       -EINVAL;
		s->kind = HEALTH_EXEC;
		s->command = cmd;
		return 0;
	}
	snprintf(err, errlen, "http://HOST:PORT/PATH, tcp:HOST:PORT or exec:/PATH [ARG ...]");
	return -EINVAL;
}

void health_count_reset(struct health_count *c)
{
	memset(c, 0, sizeof *c);
}

enum health_change health_count_result(struct health_count *c, bool ok, int64_t now_ms,
				       int64_t start_ms, int64_t start_period_ms, int retries)
{
	if (ok) {
		bool was = c->known && c->healthy;
		c->failures = 0;
		c->passed = true;
		c->known = true;
		c->healthy = true;
		return was ? HEALTH_SAME : HEALTH_BECAME_HEALTHY;
	}
	if (!c->passed && now_ms - start_ms < start_period_ms)
		return HEALTH_SAME; /* still starting: not counted */
	c->failures++;
	if (c->failures < (retries > 0 ? retries : 1))
		return HEALTH_SAME;
	bool was_unhealthy = c->known && !c->healthy;
	c->known = true;
	c->healthy = false;
	return was_unhealthy ? HEALTH_SAME : HEALTH_BECAME_UNHEALTHY;
}
