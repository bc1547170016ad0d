/* libFuzzer harness for ipc/framing.c: the parsers that read what a pool's
 * workers and producers send, which must survive any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t linelen;
	int r = framing_line(buf, size, 1024, &linelen);
	if (r == 1 && (linelen == 0 || linelen > size || buf[linelen - 1] != '\n'))
		abort();

	struct framing_result res;
	r = framing_result_header(buf, size, 1u << 20, &res);
	if (r == 1) {
		if (res.hdrlen == 0 || res.hdrlen > size || res.hdrlen > FRAMING_HEADER_MAX ||
		    res.len > (1u << 20) || res.id == 0)
			abort();
	}

	int status;
	uint64_t id;
	const uint8_t *payload;
	size_t plen;
	if (framing_reply_unpack(data, size, &status, &id, &payload, &plen) == 0) {
		if ((const uint8_t *)payload < data || (const uint8_t *)payload + plen > data + size)
			abort();
		/* What decodes re-encodes to the same bytes. */
		struct proto_buf b;
		proto_buf_init(&b, 1u << 22);
		if (framing_reply_pack(&b, status, id, payload, plen) == 0 &&
		    (b.len != PROTO_HEADER_SIZE + size || memcmp(b.data + PROTO_HEADER_SIZE, data, size)))
			abort();
		proto_buf_free(&b);
	}
	return 0;
}
