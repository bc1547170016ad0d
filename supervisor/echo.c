#include "supervisor/echo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor/log.h"
#include "supervisor/pyrepr.h"

bool echo_enabled(void)
{
	return log_threshold >= LOG_DEBUG;
}

char *echo_format(const char *name, const char *channel, const char *data, size_t len,
		  bool as_bytes)
{
	static const char undecodable[] = "Undecodable: ";
	static const char output[] = " output:\n";
	size_t nlen = strlen(name), clen = strlen(channel);
	if (len > (SIZE_MAX - PYREPR_MAX(nlen) - clen - 64) / 4)
		return NULL;
	char *msg = malloc(PYREPR_MAX(nlen) + 1 + clen + sizeof output + sizeof undecodable +
			   PYREPR_MAX(len));
	if (!msg)
		return NULL;
	size_t n = pyrepr_str(msg, name, nlen);
	msg[n++] = ' ';
	memcpy(msg + n, channel, clen);
	n += clen;
	memcpy(msg + n, output, sizeof output - 1);
	n += sizeof output - 1;
	if (!as_bytes && pyrepr_utf8(data, len)) {
		memcpy(msg + n, data, len);
		n += len;
	} else {
		if (!as_bytes) {
			memcpy(msg + n, undecodable, sizeof undecodable - 1);
			n += sizeof undecodable - 1;
		}
		n += pyrepr_bytes(msg + n, data, len);
	}
	msg[n] = '\0';
	return msg;
}

static void echo(const char *name, const char *channel, const char *data, size_t len,
		 bool as_bytes)
{
	if (!echo_enabled() || !len)
		return;
	char *msg = echo_format(name, channel, data, len, as_bytes);
	if (!msg) {
		log_debug("'%s' %s output: %zu bytes (out of memory to show them)", name, channel,
			  len);
		return;
	}
	/* a NUL in the output ends the message early: the log is text */
	log_debug("%s", msg);
	free(msg);
}

void echo_output(const char *name, int which, const char *data, size_t len)
{
	echo(name, which ? "stderr" : "stdout", data, len, false);
}

void echo_listener(const char *name, const char *data, size_t len)
{
	echo(name, "stdout", data, len, true);
}
