#include "supervisor/ansi.h"

#include <string.h>

/* The bytes that end a sequence (supervisord's ANSI_TERMINATORS). */
static bool terminator(char c)
{
	return c && strchr("HfABCDRsuJKhlpm", c);
}

void ansi_strip_init(struct ansi_strip *st)
{
	st->inside = false;
}

size_t ansi_strip(struct ansi_strip *st, char *buf, size_t len)
{
	size_t out = 0, i = 0;
	while (i < len) {
		if (st->inside) {
			st->inside = !terminator(buf[i]);
			i++;
			continue;
		}
		/* An ESC that ends BUF stays: '[' in the next read does not make
		 * a sequence of it, as in supervisord. */
		if (buf[i] == '\033' && i + 1 < len && buf[i + 1] == '[') {
			st->inside = true;
			i += 2;
			continue;
		}
		buf[out++] = buf[i++];
	}
	return out;
}
