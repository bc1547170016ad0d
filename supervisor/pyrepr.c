#include "supervisor/pyrepr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/utf8.h"

bool pyrepr_utf8(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0, k; i < len; i += k)
		if (!(k = utf8_seq_len(u + i, len - i)))
			return false;
	return true;
}

static size_t repr(char *out, const char *s, size_t len, bool bytes)
{
	static const char hex[] = "0123456789abcdef";
	char q = memchr(s, '\'', len) && !memchr(s, '"', len) ? '"' : '\'';
	size_t n = 0;
	if (bytes)
		out[n++] = 'b';
	out[n++] = q;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' || c == (unsigned char)q) {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			out[n++] = '\\';
			out[n++] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
		} else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = q;
	return n;
}

size_t pyrepr_str(char *out, const char *s, size_t len)
{
	return repr(out, s, len, false);
}

size_t pyrepr_bytes(char *out, const char *s, size_t len)
{
	return repr(out, s, len, true);
}

char *pyrepr_undecodable(const char *s, size_t len, size_t *outlen)
{
	static const char head[] = "Undecodable: ";
	if (len > (SIZE_MAX - sizeof head - 3) / 4)
		return NULL;
	char *out = malloc(sizeof head - 1 + PYREPR_MAX(len));
	if (!out)
		return NULL;
	memcpy(out, head, sizeof head - 1);
	*outlen = sizeof head - 1 + pyrepr_bytes(out + sizeof head - 1, s, len);
	return out;
}
