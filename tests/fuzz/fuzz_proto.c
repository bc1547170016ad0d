/* libFuzzer harness for the decoding half of ipc/proto.c: everything a
 * client or a server reads off the socket goes through these functions.
 *
 * The input is taken as a whole frame (header, then payload) and also as a
 * bare payload of each kind, so the decoders see both well-framed and raw
 * bytes. Whatever they accept is checked for the properties callers rely on,
 * then re-encoded and decoded again. */
#include "ipc/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			abort();                                                 \
		}                                                                \
	} while (0)

static void fuzz_header(const uint8_t *data, size_t size)
{
	uint8_t hdr[PROTO_HEADER_SIZE], again[PROTO_HEADER_SIZE];
	uint32_t len, max;
	char kind;
	int rc;

	if (size < PROTO_HEADER_SIZE)
		return;
	memcpy(hdr, data, sizeof(hdr));
	max = size > PROTO_HEADER_SIZE ? data[PROTO_HEADER_SIZE] * 1000u : PROTO_MAX_ANSWER;
	rc = proto_header_unpack(hdr, &kind, &len, max);
	CHECK(rc == 0 || rc == -EPROTO || rc == -EPROTONOSUPPORT || rc == -EMSGSIZE);
	if (rc < 0)
		return;
	CHECK(len <= max);
	/* every kind the protocol has: requests, answers, tail -f's data and
	 * submit's jobs and replies */
	CHECK(kind == PROTO_KIND_REQUEST || kind == PROTO_KIND_ANSWER || kind == PROTO_KIND_DATA ||
	      kind == PROTO_KIND_JOB || kind == PROTO_KIND_REPLY);
	/* An accepted header packs back to the same bytes. */
	proto_header_pack(again, kind, len);
	CHECK(memcmp(hdr, again, sizeof(hdr)) == 0);
}

static void fuzz_request(const uint8_t *payload, size_t len)
{
	struct proto_buf b;
	char **argv;
	int argc, rc, i;
	size_t total = 0;

	rc = proto_request_unpack(payload, len, &argv, &argc);
	CHECK(rc == 0 || rc == -EPROTO || rc == -EMSGSIZE || rc == -ENOMEM);
	if (rc < 0)
		return;
	CHECK(argc >= 1 && argc <= PROTO_MAX_ARGS);
	CHECK(argv[0][0] != '\0');
	CHECK(argv[argc] == NULL);
	for (i = 0; i < argc; i++)
		total += strlen(argv[i]) + 1;
	CHECK(total == len);

	/* Packing the words again gives back the payload. */
	rc = proto_request_pack(argc, argv, &b);
	CHECK(rc == 0);
	CHECK(b.len == PROTO_HEADER_SIZE + len);
	CHECK(memcmp(b.data + PROTO_HEADER_SIZE, payload, len) == 0);
	proto_buf_free(&b);
	free(argv);
}

static void fuzz_answer(const uint8_t *payload, size_t len)
{
	enum proto_result result;
	char *copy, *line, *next, *fields[PS_NFIELDS + 2];
	struct proto_buf b;
	const char *text;
	size_t textlen;
	int rc, n, i;

	rc = proto_answer_unpack(payload, len, &result, &text, &textlen);
	CHECK(rc == 0 || rc == -EPROTO);
	if (rc < 0)
		return;
	CHECK(result <= PROTO_REFUSED);
	CHECK(textlen == len - 1 && text == (const char *)payload + 1);

	/* Split each line as corralctl does, then escape the fields again and
	 * split once more: the second split must give the same fields. */
	copy = malloc(textlen + 1);
	if (!copy)
		return;
	memcpy(copy, text, textlen);
	copy[textlen] = '\0';
	for (line = copy; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n = proto_split_fields(line, fields, PS_NFIELDS + 1);
		CHECK(n >= 1 && n <= PS_NFIELDS + 1);

		proto_buf_init(&b, 4 * textlen + 64);
		for (i = 0; i < n; i++)
			CHECK(proto_field(&b, fields[i], i == n - 1 ? '\n' : '\t') == 0);
		CHECK(b.len >= 1 && b.data[b.len - 1] == '\n');
		CHECK(memchr(b.data, '\n', b.len - 1) == NULL);
		b.data[b.len - 1] = '\0';

		char *fields2[PS_NFIELDS + 2];
		int n2 = proto_split_fields((char *)b.data, fields2, PS_NFIELDS + 1);
		CHECK(n2 == n);
		for (i = 0; i < n; i++)
			CHECK(strcmp(fields[i], fields2[i]) == 0);
		proto_buf_free(&b);
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, *fields[4];
	uint32_t len;
	char kind;

	fuzz_header(data, size);

	/* As a frame: header, then as much payload as it announces. */
	if (size >= PROTO_HEADER_SIZE &&
	    proto_header_unpack(data, &kind, &len, PROTO_MAX_REQUEST) == 0 &&
	    len <= size - PROTO_HEADER_SIZE) {
		if (kind == PROTO_KIND_REQUEST)
			fuzz_request(data + PROTO_HEADER_SIZE, len);
		else if (kind == PROTO_KIND_ANSWER)
			fuzz_answer(data + PROTO_HEADER_SIZE, len);
		/* jobs and replies: fuzz_framing's */
	}

	/* As bare payloads. */
	fuzz_request(data, size);
	fuzz_answer(data, size);

	/* proto_split_fields with a small MAX, on the raw bytes up to a NUL. */
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	int n = proto_split_fields(line, fields, size ? data[0] % 5 : 0);
	CHECK(n >= 0 && n <= 4);
	for (int i = 0; i < n; i++)
		CHECK(fields[i] >= line && fields[i] <= line + size);
	free(line);
	return 0;
}
