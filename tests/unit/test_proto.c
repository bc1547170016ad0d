/* Unit tests for ipc/proto.c: framing, requests, answers, fields, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proto.h"

/* ---- header ---- */

static void test_header_round_trip(void **state)
{
	static const uint32_t lens[] = { 0, 1, 255, 256, 65536, 0x01020304, UINT32_MAX };
	uint8_t hdr[PROTO_HEADER_SIZE];
	uint32_t len;
	char kind;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		proto_header_pack(hdr, PROTO_KIND_REQUEST, lens[i]);
		assert_int_equal(proto_header_unpack(hdr, &kind, &len, UINT32_MAX), 0);
		assert_int_equal(kind, PROTO_KIND_REQUEST);
		assert_int_equal(len, lens[i]);
	}
	proto_header_pack(hdr, PROTO_KIND_ANSWER, 42);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 42), 0);
	assert_int_equal(kind, PROTO_KIND_ANSWER);
	assert_int_equal(len, 42);
}

static void test_header_layout(void **state)
{
	static const uint8_t want[PROTO_HEADER_SIZE] = { 'C', 'R', 1, 'Q', 0x01, 0x02, 0x03, 0x04 };
	uint8_t hdr[PROTO_HEADER_SIZE];

	proto_header_pack(hdr, PROTO_KIND_REQUEST, 0x01020304);
	assert_memory_equal(hdr, want, sizeof(want));
}

static void test_header_rejects(void **state)
{
	uint8_t hdr[PROTO_HEADER_SIZE];
	uint32_t len = 7;
	char kind = 'x';

	proto_header_pack(hdr, PROTO_KIND_REQUEST, 10);
	hdr[0] = 'X';
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EPROTO);

	proto_header_pack(hdr, PROTO_KIND_REQUEST, 10);
	hdr[1] = 'r';
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EPROTO);

	proto_header_pack(hdr, PROTO_KIND_REQUEST, 10);
	hdr[2] = 2;
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EPROTONOSUPPORT);
	hdr[2] = 0;
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EPROTONOSUPPORT);

	proto_header_pack(hdr, 'Z', 10);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EPROTO);
	proto_header_pack(hdr, 'q', 10);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EPROTO);

	proto_header_pack(hdr, PROTO_KIND_REQUEST, 101);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), -EMSGSIZE);
	proto_header_pack(hdr, PROTO_KIND_ANSWER, PROTO_MAX_ANSWER + 1);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, PROTO_MAX_ANSWER), -EMSGSIZE);
	proto_header_pack(hdr, PROTO_KIND_ANSWER, UINT32_MAX);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, PROTO_MAX_ANSWER), -EMSGSIZE);

	/* Exactly at the limit is fine. */
	proto_header_pack(hdr, PROTO_KIND_REQUEST, 100);
	assert_int_equal(proto_header_unpack(hdr, &kind, &len, 100), 0);
	assert_int_equal(len, 100);

	/* A rejected header leaves the outputs alone. */
	kind = 'x';
	len = 7;
	hdr[0] = 0;
	assert_int_not_equal(proto_header_unpack(hdr, &kind, &len, 100), 0);
	assert_int_equal(kind, 'x');
	assert_int_equal(len, 7);
}

/* ---- requests ---- */

/* Pack ARGV, check the header, unpack the payload and compare. */
static void request_round_trip(int argc, char *const argv[])
{
	struct proto_buf b;
	char **out = NULL;
	uint32_t len;
	int n = 0;
	char kind;

	assert_int_equal(proto_request_pack(argc, argv, &b), 0);
	assert_true(b.len >= PROTO_HEADER_SIZE);
	assert_int_equal(proto_header_unpack(b.data, &kind, &len, PROTO_MAX_REQUEST), 0);
	assert_int_equal(kind, PROTO_KIND_REQUEST);
	assert_int_equal(len, b.len - PROTO_HEADER_SIZE);
	assert_int_equal(proto_request_unpack(b.data + PROTO_HEADER_SIZE, len, &out, &n), 0);
	assert_int_equal(n, argc);
	for (int i = 0; i < argc; i++)
		assert_string_equal(out[i], argv[i]);
	assert_null(out[argc]);
	free(out);
	proto_buf_free(&b);
}

static void test_request_round_trip(void **state)
{
	char *one[] = { "status" };
	char *two[] = { "status", "web" };
	char *many[] = { "signal", "HUP", "web", "w:*", "all", "", "tab\there" };
	struct proto_buf b;

	request_round_trip(1, one);
	request_round_trip(2, two);
	request_round_trip(7, many);

	/* The exact bytes of a small request. */
	assert_int_equal(proto_request_pack(2, two, &b), 0);
	assert_int_equal(b.len, PROTO_HEADER_SIZE + 11);
	assert_memory_equal(b.data + PROTO_HEADER_SIZE, "status\0web\0", 11);
	proto_buf_free(&b);
}

static void test_request_pack_rejects(void **state)
{
	char *empty_verb[] = { "", "web" };
	char *ok[] = { "status" };
	struct proto_buf b;
	char **argv;
	char *big;

	assert_int_equal(proto_request_pack(0, ok, &b), -EINVAL);
	assert_null(b.data);
	assert_int_equal(proto_request_pack(2, empty_verb, &b), -EINVAL);
	assert_null(b.data);

	/* Too many words. */
	argv = calloc(PROTO_MAX_ARGS + 1, sizeof(*argv));
	assert_non_null(argv);
	for (int i = 0; i <= PROTO_MAX_ARGS; i++)
		argv[i] = "x";
	assert_int_equal(proto_request_pack(PROTO_MAX_ARGS + 1, argv, &b), -E2BIG);
	assert_null(b.data);
	/* Exactly the maximum is fine. */
	request_round_trip(PROTO_MAX_ARGS, argv);
	free(argv);

	/* Too many bytes: a word that, with its NUL, passes the limit. */
	big = malloc(PROTO_MAX_REQUEST + 1);
	assert_non_null(big);
	memset(big, 'a', PROTO_MAX_REQUEST);
	big[PROTO_MAX_REQUEST] = '\0';
	char *toolong[] = { big };
	assert_int_equal(proto_request_pack(1, toolong, &b), -EMSGSIZE);
	assert_null(b.data);
	/* One byte less fits exactly. */
	big[PROTO_MAX_REQUEST - 1] = '\0';
	request_round_trip(1, toolong);
	free(big);
}

static void test_request_unpack_rejects(void **state)
{
	static const uint8_t ok[] = "status\0web";
	char **argv = (char **)&argv; /* a non-NULL value that must not change */
	char **const untouched = argv;
	uint8_t *big, *words;
	int argc = -1;

	/* empty */
	assert_int_equal(proto_request_unpack(ok, 0, &argv, &argc), -EPROTO);
	/* missing final NUL */
	assert_int_equal(proto_request_unpack(ok, 6, &argv, &argc), -EPROTO);
	assert_int_equal(proto_request_unpack(ok, 10, &argv, &argc), -EPROTO);
	/* empty verb */
	assert_int_equal(proto_request_unpack((const uint8_t *)"\0", 1, &argv, &argc), -EPROTO);
	assert_int_equal(proto_request_unpack((const uint8_t *)"\0web\0", 5, &argv, &argc),
			 -EPROTO);
	assert_ptr_equal(argv, untouched);
	assert_int_equal(argc, -1);

	/* too many words: PROTO_MAX_ARGS + 1 of them */
	words = malloc(2 * (PROTO_MAX_ARGS + 1));
	assert_non_null(words);
	for (int i = 0; i <= PROTO_MAX_ARGS; i++) {
		words[2 * i] = 'x';
		words[2 * i + 1] = '\0';
	}
	assert_int_equal(proto_request_unpack(words, 2 * (PROTO_MAX_ARGS + 1), &argv, &argc),
			 -EPROTO);
	/* exactly the maximum is fine */
	assert_int_equal(proto_request_unpack(words, 2 * PROTO_MAX_ARGS, &argv, &argc), 0);
	assert_int_equal(argc, PROTO_MAX_ARGS);
	assert_string_equal(argv[PROTO_MAX_ARGS - 1], "x");
	assert_null(argv[PROTO_MAX_ARGS]);
	free(argv);
	free(words);

	/* oversize */
	big = calloc(1, PROTO_MAX_REQUEST + 1);
	assert_non_null(big);
	memset(big, 'a', PROTO_MAX_REQUEST);
	assert_int_equal(proto_request_unpack(big, PROTO_MAX_REQUEST + 1, &argv, &argc),
			 -EMSGSIZE);
	free(big);
}

static void test_request_unpack_empty_args(void **state)
{
	static const uint8_t p[] = "stop\0\0web\0";
	char **argv;
	int argc;

	assert_int_equal(proto_request_unpack(p, sizeof(p) - 1, &argv, &argc), 0);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[0], "stop");
	assert_string_equal(argv[1], "");
	assert_string_equal(argv[2], "web");
	assert_null(argv[3]);
	free(argv);
}

/* ---- answers ---- */

static void test_answer_round_trip(void **state)
{
	enum proto_result result;
	struct proto_buf b;
	const char *text;
	size_t textlen;
	uint32_t len;
	char kind;

	proto_buf_init(&b, PROTO_HEADER_SIZE + PROTO_MAX_ANSWER);
	assert_int_equal(proto_answer_begin(&b), 0);
	assert_int_equal(proto_buf_printf(&b, "%s: %s\n", "web", "started"), 0);
	assert_int_equal(proto_buf_append(&b, "w:w_00: started\n", 16), 0);
	proto_answer_finish(&b, PROTO_FAILED);

	assert_int_equal(proto_header_unpack(b.data, &kind, &len, PROTO_MAX_ANSWER), 0);
	assert_int_equal(kind, PROTO_KIND_ANSWER);
	assert_int_equal(len, b.len - PROTO_HEADER_SIZE);
	assert_int_equal(proto_answer_unpack(b.data + PROTO_HEADER_SIZE, len, &result, &text,
					     &textlen), 0);
	assert_int_equal(result, PROTO_FAILED);
	assert_int_equal(textlen, strlen("web: started\nw:w_00: started\n"));
	assert_memory_equal(text, "web: started\nw:w_00: started\n", textlen);

	/* begin starts the same buffer over: an empty answer is one byte. */
	assert_int_equal(proto_answer_begin(&b), 0);
	proto_answer_finish(&b, PROTO_REFUSED);
	assert_int_equal(b.len, PROTO_HEADER_SIZE + 1);
	assert_int_equal(proto_header_unpack(b.data, &kind, &len, PROTO_MAX_ANSWER), 0);
	assert_int_equal(len, 1);
	assert_int_equal(proto_answer_unpack(b.data + PROTO_HEADER_SIZE, len, &result, &text,
					     &textlen), 0);
	assert_int_equal(result, PROTO_REFUSED);
	assert_int_equal(textlen, 0);
	proto_buf_free(&b);

	/* A zeroed buffer works too. */
	struct proto_buf z = { 0 };
	assert_int_equal(proto_answer_begin(&z), 0);
	assert_int_equal(z.max, PROTO_HEADER_SIZE + PROTO_MAX_ANSWER);
	proto_answer_finish(&z, PROTO_OK);
	assert_int_equal(z.data[PROTO_HEADER_SIZE], PROTO_OK);
	proto_buf_free(&z);
}

static void test_answer_unpack_rejects(void **state)
{
	static const uint8_t bad[] = { 5, 'x' }, worse[] = { 0xff };
	enum proto_result result;
	const char *text;
	size_t textlen;

	assert_int_equal(proto_answer_unpack(bad, 0, &result, &text, &textlen), -EPROTO);
	assert_int_equal(proto_answer_unpack(bad, 2, &result, &text, &textlen), -EPROTO);
	assert_int_equal(proto_answer_unpack(worse, 1, &result, &text, &textlen), -EPROTO);
	for (uint8_t r = PROTO_OK; r <= PROTO_REFUSED; r++) {
		assert_int_equal(proto_answer_unpack(&r, 1, &result, &text, &textlen), 0);
		assert_int_equal(result, r);
	}
}

/* ---- fields ---- */

static void test_field_escaping(void **state)
{
	const char *in[PS_NFIELDS] = {
		"w:w_00", "w", "RUNNING", "123", "65", "-1", "0",
		"a\tb\nc\\d\\\\e\\t", "", "2", "cgroup", "RUNNING", "0", "12",
		"w", "busy job 7", "queue=1 queue_max=4", "3", "5436", "8978432", "",
		"unhealthy (3 failures: HTTP 500)",
		"*/5 * * * *", "1796563116", "124", "1796563200", "2",
		"17", "rolling 1/4, replacing w:w_01", "8", "4", "3", "w",
	};
	char *fields[PS_NFIELDS + 1], *line;
	struct proto_buf b;
	int n;

	proto_buf_init(&b, 4096);
	for (int i = 0; i < PS_NFIELDS; i++)
		assert_int_equal(proto_field(&b, in[i], i == PS_NFIELDS - 1 ? '\n' : '\t'), 0);

	/* The wire form: exactly one raw newline, at the end, and the
	 * escapes as documented. */
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_null(memchr(b.data, '\n', b.len - 1));
	static const char wire[] = "a\\tb\\nc\\\\d\\\\\\\\e\\\\t\t";
	assert_non_null(memmem(b.data, b.len, wire, sizeof(wire) - 1));

	line = strndup((const char *)b.data, b.len - 1);
	assert_non_null(line);
	n = proto_split_fields(line, fields, PS_NFIELDS + 1);
	assert_int_equal(n, PS_NFIELDS);
	for (int i = 0; i < PS_NFIELDS; i++)
		assert_string_equal(fields[i], in[i]);
	free(line);
	proto_buf_free(&b);
}

static void test_split_fields_edges(void **state)
{
	char *f[4];
	char empty[] = "";
	char two_empty[] = "\t";
	char extra[] = "a\tb\tc\td\te";
	char odd[] = "x\\q\ty\\";
	char null_field[] = "a\t\tb";

	assert_int_equal(proto_split_fields(empty, f, 4), 1);
	assert_string_equal(f[0], "");

	assert_int_equal(proto_split_fields(two_empty, f, 4), 2);
	assert_string_equal(f[0], "");
	assert_string_equal(f[1], "");

	/* Fields past MAX are dropped, the last kept one ends at its TAB. */
	assert_int_equal(proto_split_fields(extra, f, 3), 3);
	assert_string_equal(f[0], "a");
	assert_string_equal(f[1], "b");
	assert_string_equal(f[2], "c");

	/* Unknown escapes and a final backslash stay as written. */
	assert_int_equal(proto_split_fields(odd, f, 4), 2);
	assert_string_equal(f[0], "x\\q");
	assert_string_equal(f[1], "y\\");

	assert_int_equal(proto_split_fields(null_field, f, 4), 3);
	assert_string_equal(f[1], "");
	assert_string_equal(f[2], "b");

	assert_int_equal(proto_split_fields(extra, f, 0), 0);
}

static void test_field_null_and_failure(void **state)
{
	struct proto_buf b;

	proto_buf_init(&b, 8);
	assert_int_equal(proto_field(&b, NULL, '\t'), 0);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.data[0], '\t');
	/* 7 bytes are left. Four backslashes escape to 8 bytes plus the
	 * separator: refused, and nothing of them is left behind. Three
	 * escape to 6 plus the separator: exactly full. */
	assert_int_equal(proto_field(&b, "\\\\\\\\", '\n'), -EMSGSIZE);
	assert_int_equal(b.len, 1);
	assert_int_equal(proto_field(&b, "\\\\\\", '\n'), 0);
	assert_int_equal(b.len, 8);
	proto_buf_free(&b);
}

/* ---- the bounded buffer ---- */

static void test_buf_limit(void **state)
{
	struct proto_buf b;
	char chunk[100];

	memset(chunk, 'z', sizeof(chunk));
	proto_buf_init(&b, 1000);
	for (int i = 0; i < 10; i++)
		assert_int_equal(proto_buf_append(&b, chunk, sizeof(chunk)), 0);
	assert_int_equal(b.len, 1000);
	assert_true(b.cap <= b.max);
	assert_int_equal(proto_buf_append(&b, chunk, 1), -EMSGSIZE);
	assert_int_equal(proto_buf_printf(&b, "x"), -EMSGSIZE);
	assert_int_equal(b.len, 1000);
	/* Appending nothing always works. */
	assert_int_equal(proto_buf_append(&b, NULL, 0), 0);
	proto_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);

	/* A length that would wrap a size_t is refused, not wrapped. */
	proto_buf_init(&b, 1000);
	assert_int_equal(proto_buf_append(&b, chunk, 10), 0);
	assert_int_equal(proto_buf_append(&b, chunk, SIZE_MAX), -EMSGSIZE);
	assert_int_equal(proto_buf_append(&b, chunk, SIZE_MAX - 5), -EMSGSIZE);
	assert_int_equal(b.len, 10);
	proto_buf_free(&b);

	/* A zero max holds nothing. */
	proto_buf_init(&b, 0);
	assert_int_equal(proto_buf_append(&b, chunk, 1), -EMSGSIZE);
	proto_buf_free(&b);
}

static void test_buf_printf(void **state)
{
	struct proto_buf b;
	char *long_arg;

	proto_buf_init(&b, 4096);
	assert_int_equal(proto_buf_printf(&b, "%d %s", 42, "x"), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "42 x", 4);
	assert_int_equal(proto_buf_printf(&b, "%s", ""), 0);
	assert_int_equal(b.len, 4);

	/* Longer than the stack buffer inside. */
	long_arg = malloc(3001);
	assert_non_null(long_arg);
	memset(long_arg, 'q', 3000);
	long_arg[3000] = '\0';
	assert_int_equal(proto_buf_printf(&b, "<%s>", long_arg), 0);
	assert_int_equal(b.len, 3006);
	assert_int_equal(b.data[4], '<');
	assert_int_equal(b.data[3005], '>');
	/* ...and one that does not fit any more. */
	assert_int_equal(proto_buf_printf(&b, "%s", long_arg), -EMSGSIZE);
	assert_int_equal(b.len, 3006);
	free(long_arg);
	proto_buf_free(&b);
}

static void test_answer_too_big(void **state)
{
	struct proto_buf b;

	proto_buf_init(&b, PROTO_HEADER_SIZE + 1 + 3);
	assert_int_equal(proto_answer_begin(&b), 0);
	assert_int_equal(proto_buf_append(&b, "abc", 3), 0);
	assert_int_equal(proto_buf_append(&b, "d", 1), -EMSGSIZE);
	proto_answer_finish(&b, PROTO_OK);
	assert_int_equal(b.len, PROTO_HEADER_SIZE + 4);
	proto_buf_free(&b);

	/* Too small for even the header: begin fails, finish does nothing. */
	proto_buf_init(&b, 4);
	assert_int_equal(proto_answer_begin(&b), -EMSGSIZE);
	proto_answer_finish(&b, PROTO_OK);
	assert_null(b.data);
	proto_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_header_layout),
		cmocka_unit_test(test_header_rejects),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_pack_rejects),
		cmocka_unit_test(test_request_unpack_rejects),
		cmocka_unit_test(test_request_unpack_empty_args),
		cmocka_unit_test(test_answer_round_trip),
		cmocka_unit_test(test_answer_unpack_rejects),
		cmocka_unit_test(test_answer_too_big),
		cmocka_unit_test(test_field_escaping),
		cmocka_unit_test(test_split_fields_edges),
		cmocka_unit_test(test_field_null_and_failure),
		cmocka_unit_test(test_buf_limit),
		cmocka_unit_test(test_buf_printf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
