/* Unit tests for ipc/framing.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ipc/framing.h"

static void test_line(void **state)
{
	(void)state;
	size_t n = 0;
	assert_int_equal(framing_line("abc", 3, 10, &n), 0);
	assert_int_equal(framing_line("abc\ndef\n", 8, 10, &n), 1);
	assert_int_equal(n, 4);
	assert_int_equal(framing_line("\n", 1, 0, &n), 1);
	assert_int_equal(n, 1);
	/* MAX bytes of data and the newline fit; one more does not. */
	assert_int_equal(framing_line("abcd\n", 5, 4, &n), 1);
	assert_int_equal(framing_line("abcde\n", 6, 4, &n), -EMSGSIZE);
	assert_int_equal(framing_line("abcd", 4, 4, &n), 0);
	assert_int_equal(framing_line("abcde", 5, 4, &n), -EMSGSIZE);
}

static void test_job_header(void **state)
{
	(void)state;
	char buf[FRAMING_HEADER_MAX];
	size_t n = framing_job_header(buf, 42, 7);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "42 7\n", 5);
	n = framing_job_header(buf, UINT64_MAX, SIZE_MAX);
	assert_true(n > 0 && n < FRAMING_HEADER_MAX);
	assert_int_equal(buf[n - 1], '\n');
}

static void test_result_header(void **state)
{
	(void)state;
	struct framing_result r;
	const char *ok = "17 ok 5\nhello";
	assert_int_equal(framing_result_header(ok, strlen(ok), 100, &r), 1);
	assert_true(r.ok);
	assert_int_equal(r.id, 17);
	assert_int_equal(r.len, 5);
	assert_int_equal(r.hdrlen, 8);
	const char *bad = "3 fail 0\n";
	assert_int_equal(framing_result_header(bad, strlen(bad), 100, &r), 1);
	assert_false(r.ok);
	assert_int_equal(r.len, 0);
	/* Incomplete: more is needed. */
	assert_int_equal(framing_result_header("17 ok", 5, 100, &r), 0);
	assert_int_equal(framing_result_header("", 0, 100, &r), 0);
	/* Malformed, or too long. */
	const char *wrong[] = { "x ok 1\n", "0 ok 1\n", "1 maybe 1\n", "1  ok 1\n", "1 ok\n",
				"1 ok 1 \n", "1 ok -1\n", "-1 ok 1\n", "1 ok 1x\n", "\n",
				"99999999999999999999 ok 1\n", "9223372036854775808 ok 1\n",
				"1 ok 99999999999999999999999\n" };
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		assert_int_equal(framing_result_header(wrong[i], strlen(wrong[i]), 100, &r), -EPROTO);
	assert_int_equal(framing_result_header("9223372036854775807 ok 1\n", 25, 100, &r), 1);
	assert_int_equal(framing_result_header("1 ok 101\n", 9, 100, &r), -EMSGSIZE);
	char longhdr[FRAMING_HEADER_MAX + 1];
	memset(longhdr, '1', sizeof longhdr);
	assert_int_equal(framing_result_header(longhdr, sizeof longhdr, 100, &r), -EPROTO);
}

static void test_reply_roundtrip(void **state)
{
	(void)state;
	struct proto_buf b;
	proto_buf_init(&b, 1 << 22);
	assert_int_equal(framing_reply_pack(&b, PROTO_JOB_DONE, 0x0102030405060708ull, "out\n", 4), 0);
	char kind;
	uint32_t len;
	assert_int_equal(proto_header_unpack(b.data, &kind, &len, PROTO_MAX_ANSWER), 0);
	assert_int_equal(kind, PROTO_KIND_REPLY);
	assert_int_equal(len, 13);
	int status;
	uint64_t id;
	const uint8_t *data;
	size_t dlen;
	assert_int_equal(framing_reply_unpack(b.data + PROTO_HEADER_SIZE, len, &status, &id, &data, &dlen), 0);
	assert_int_equal(status, PROTO_JOB_DONE);
	assert_true(id == 0x0102030405060708ull);
	assert_int_equal(dlen, 4);
	assert_memory_equal(data, "out\n", 4);
	/* Short, or an unknown status. */
	assert_int_equal(framing_reply_unpack(b.data + PROTO_HEADER_SIZE, 8, &status, &id, &data, &dlen), -EPROTO);
	b.data[PROTO_HEADER_SIZE] = PROTO_JOB_LAST + 1;
	assert_int_equal(framing_reply_unpack(b.data + PROTO_HEADER_SIZE, len, &status, &id, &data, &dlen), -EPROTO);
	/* Too big for a job; a buffer too small keeps what it had. */
	b.len = 0;
	assert_int_equal(framing_reply_pack(&b, PROTO_JOB_DONE, 1, "", PROTO_MAX_JOB + 1), -EMSGSIZE);
	proto_buf_free(&b);
	proto_buf_init(&b, 20);
	assert_int_equal(framing_reply_pack(&b, PROTO_JOB_FAILED, 1, "0123456789", 10), -EMSGSIZE);
	assert_int_equal(b.len, 0);
	assert_int_equal(framing_job_pack(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 18);
	assert_int_equal(b.data[3], PROTO_KIND_JOB);
	assert_int_equal(framing_job_pack(&b, "x", 1), -EMSGSIZE);
	assert_int_equal(b.len, 18);
	proto_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_job_header),
		cmocka_unit_test(test_result_header),
		cmocka_unit_test(test_reply_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
