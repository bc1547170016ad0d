/* Unit tests for supervisor/logbuild.c: a read's lines gathered for one
 * write, with stamps and cut markers, against the line splitter's own
 * rendering (logline.h), however the output is read in and written out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "supervisor/logbuild.h"

#define OUT_MAX (64 * 1024)

/* The length of the READth read, with LEFT bytes to read in chunks of
 * CHUNK, and the stamp of its lines: "<READ> " (none when !STAMPS). */
static size_t next_read(size_t left, size_t chunk, int read, bool stamps, char stamp[16])
{
	stamp[0] = '\0';
	if (stamps)
		snprintf(stamp, 16, "<%d> ", read);
	return left < chunk ? left : chunk;
}

/* What the log holds for IN read in chunks of CHUNK bytes, the stamp of
 * the Nth read being "<N> " (none when !STAMPS), piece by piece as the
 * splitter says: the reference. */
static size_t oracle(const char *in, size_t len, size_t chunk, size_t line_max, bool stamps,
		     char *out)
{
	struct logline st;
	logline_init(&st);
	size_t n = 0;
	int read = 0;
	for (size_t off = 0; off < len; read++) {
		char stamp[16];
		size_t c = next_read(len - off, chunk, read, stamps, stamp);
		const char *p = in + off;
		while (c) {
			if (st.at_line_start) {
				n += (size_t)sprintf(out + n, "%s", stamp);
				if (st.continued)
					n += (size_t)sprintf(out + n, "%s", LOGLINE_CONT);
			}
			bool ends, cut;
			size_t k = logline_piece(&st, line_max, p, c, &ends, &cut);
			memcpy(out + n, p, k);
			n += k;
			if (cut)
				n += (size_t)sprintf(out + n, "%s", LOGLINE_CUT);
			logline_advance(&st, k, ends, cut);
			p += k;
			c -= k;
			off += k;
		}
	}
	assert_true(n < OUT_MAX);
	return n;
}

/* The "file": what was written, write by write. */
struct sink {
	char data[OUT_MAX];
	size_t len;
	int writes;
	int files;              /* rotations + 1 */
	size_t file_start[1024]; /* where each file starts in data */
};

static void write_out(struct sink *k, struct logbuild *b)
{
	size_t total = 0;
	for (int i = 0; i < b->n; i++) {
		assert_true(k->len + b->v[i].iov_len <= OUT_MAX);
		memcpy(k->data + k->len, b->v[i].iov_base, b->v[i].iov_len);
		k->len += b->v[i].iov_len;
		total += b->v[i].iov_len;
	}
	assert_int_equal(total, b->bytes);
	assert_true(b->used <= b->cap);
	if (b->n)
		k->writes++;
	logbuild_reset(b);
}

/* As logstream.c drives it: each read through logbuild_lines() until it is
 * taken, written when full and at the end of the read; with MAXBYTES,
 * "rotated" at a line start once the file holds that much. */
static void drive(const char *in, size_t len, size_t chunk, size_t line_max, bool stamps,
		  size_t cap, uint64_t maxbytes, struct sink *k)
{
	char *stage = malloc(cap);
	assert_non_null(stage);
	struct logbuild b;
	logbuild_init(&b, stage, cap);
	struct logline st;
	logline_init(&st);
	memset(k, 0, sizeof *k);
	k->files = 1;
	size_t size = 0; /* of the current file */
	int read = 0;
	for (size_t off = 0; off < len; read++) {
		char stamp[16];
		size_t c = next_read(len - off, chunk, read, stamps, stamp);
		size_t i = 0;
		while (i < c) {
			if (st.at_line_start) {
				if (!logbuild_room(&b, 64 + sizeof LOGLINE_CONT, 2)) {
					size_t before = k->len;
					write_out(k, &b);
					size += k->len - before;
				}
				if (maxbytes && size + b.bytes >= maxbytes) {
					size_t before = k->len;
					write_out(k, &b);
					size += k->len - before;
					assert_true(k->files < 1023);
					k->file_start[k->files++] = k->len;
					size = 0;
				}
			}
			size_t stop = SIZE_MAX;
			if (maxbytes)
				stop = size >= maxbytes ? 0 : (size_t)(maxbytes - size);
			size_t used = 0;
			enum logbuild_stop why = logbuild_lines(&b, &st, line_max, stamp, strlen(stamp),
								in + off + i, c - i, stop, SIZE_MAX,
								&used);
			assert_true(used <= c - i);
			i += used;
			if (why == LOGBUILD_DONE)
				assert_int_equal(i, c);
			if (why == LOGBUILD_LINE)
				assert_true(st.at_line_start);
			if (why == LOGBUILD_FULL) {
				size_t before = k->len;
				write_out(k, &b);
				size += k->len - before;
			}
		}
		size_t before = k->len;
		write_out(k, &b);
		size += k->len - before;
		off += c;
	}
	free(stage);
}

static const char *const inputs[] = {
	"one\ntwo\n\nthree\n",
	"no newline at all, just a run of bytes that goes on and on and on and on and on",
	"\n\n\n\n",
	"short\na line of exactly sixty-four bytes, give or take, padded out..\nend",
};

static void check_same(const char *in, size_t len, size_t chunk, size_t line_max, bool stamps,
		       size_t cap)
{
	static char want[OUT_MAX];
	static struct sink k;
	size_t n = oracle(in, len, chunk, line_max, stamps, want);
	drive(in, len, chunk, line_max, stamps, cap, 0, &k);
	if (k.len != n || memcmp(k.data, want, n) != 0) {
		fprintf(stderr, "chunk %zu line_max %zu stamps %d cap %zu:\nwant %.*s\ngot  %.*s\n",
			chunk, line_max, stamps, cap, (int)n, want, (int)k.len, k.data);
		fail();
	}
}

static void test_same_as_the_splitter(void **state)
{
	(void)state;
	static char big[5000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = i % 97 == 96 ? '\n' : (i % 1500 > 1400 ? 'x' : (char)('a' + i % 26));
	for (size_t t = 0; t < sizeof inputs / sizeof *inputs; t++)
		for (size_t chunk = 1; chunk < 24; chunk++)
			for (size_t lm = 0; lm <= 128; lm += 64)
				for (int stamps = 0; stamps < 2; stamps++)
					check_same(inputs[t], strlen(inputs[t]), chunk, lm, stamps,
						   LOGBUILD_MIN_STAGE);
	size_t chunks[] = { 1, 7, 100, 512, 4096, sizeof big };
	size_t caps[] = { LOGBUILD_MIN_STAGE, 700, 4096, 1 << 16 };
	size_t maxes[] = { 0, 64, 100, 1000, 3000 };
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++)
		for (size_t p = 0; p < sizeof caps / sizeof *caps; p++)
			for (size_t m = 0; m < sizeof maxes / sizeof *maxes; m++)
				for (int stamps = 0; stamps < 2; stamps++)
					check_same(big, sizeof big, chunks[c], maxes[m], stamps, caps[p]);
}

static void test_a_read_is_one_write(void **state)
{
	(void)state;
	char in[4096];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = i % 128 == 127 ? '\n' : 'a';
	static char stage[1 << 16];
	for (int stamps = 0; stamps < 2; stamps++) {
		struct logbuild b;
		logbuild_init(&b, stage, sizeof stage);
		struct logline st;
		logline_init(&st);
		size_t used;
		const char *stamp = stamps ? "2026-11-26T23:14:00.123456Z " : "";
		assert_int_equal(logbuild_lines(&b, &st, 16384, stamp, strlen(stamp), in, sizeof in,
						SIZE_MAX, SIZE_MAX, &used),
				 LOGBUILD_DONE);
		assert_int_equal(used, sizeof in);
		assert_int_equal(b.n, 1); /* one segment */
		assert_int_equal(b.bytes, sizeof in + (stamps ? 32 * 28 : 0));
		if (stamps) {
			assert_ptr_equal(b.v[0].iov_base, stage);
		} else {
			/* not copied: written from where it was read */
			assert_ptr_equal(b.v[0].iov_base, in);
			assert_int_equal(b.used, 0);
		}
		assert_true(st.at_line_start);
	}
}

static void test_a_line_longer_than_the_stage(void **state)
{
	(void)state;
	/* It is split between writes, never cut for it, and its stamp comes once. */
	static char in[3001];
	memset(in, 'z', 3000);
	in[3000] = '\n';
	static struct sink k;
	drive(in, sizeof in, sizeof in, 0, true, LOGBUILD_MIN_STAGE, 0, &k);
	assert_true(k.writes >= 6);
	assert_int_equal(k.len, 4 + sizeof in);
	assert_memory_equal(k.data, "<0> ", 4);
	assert_memory_equal(k.data + 4, in, sizeof in);
	/* With a limit, it is cut there, whatever the stage. */
	drive(in, sizeof in, sizeof in, 2048, true, LOGBUILD_MIN_STAGE, 0, &k);
	char want[4000];
	size_t n = oracle(in, sizeof in, sizeof in, 2048, true, want);
	assert_int_equal(k.len, n);
	assert_memory_equal(k.data, want, n);
	assert_non_null(strstr(want, LOGLINE_CUT));
}

static void test_rotation_between_lines(void **state)
{
	(void)state;
	static char in[4000];
	size_t len = 0;
	for (int i = 0; len < sizeof in - 40; i++)
		len += (size_t)sprintf(in + len, "line %d%.*s\n", i, i % 23, "......................");
	uint64_t maxes[] = { 1, 50, 64, 333, 1000 };
	size_t chunks[] = { 1, 13, 256, 4000 };
	for (int stamps = 0; stamps < 2; stamps++)
		for (size_t m = 0; m < sizeof maxes / sizeof *maxes; m++)
			for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
				static struct sink k;
				static char want[OUT_MAX];
				size_t n = oracle(in, len, chunks[c], 0, stamps, want);
				drive(in, len, chunks[c], 0, stamps, LOGBUILD_MIN_STAGE, maxes[m], &k);
				/* nothing lost, nothing added */
				assert_int_equal(k.len, n);
				assert_memory_equal(k.data, want, n);
				assert_true(k.files > 1);
				k.file_start[k.files] = k.len;
				for (int f = 0; f < k.files; f++) {
					const char *a = k.data + k.file_start[f];
					size_t fl = k.file_start[f + 1] - k.file_start[f];
					/* each file holds whole lines... */
					assert_true(fl > 0);
					assert_int_equal(a[fl - 1], '\n');
					if (stamps)
						assert_int_equal(a[0], '<');
					else
						assert_int_equal(a[0], 'l');
					/* ...and was rotated at the first line start at or
					 * past the limit */
					const char *prev = memrchr(a, '\n', fl - 1);
					size_t before_last = prev ? (size_t)(prev - a) + 1 : 0;
					assert_true(before_last < maxes[m]);
					if (f < k.files - 1)
						assert_true(fl >= maxes[m]);
				}
			}
}

/* A builder over the smallest stage, empty, and a first line to start. */
struct fixture {
	char stage[LOGBUILD_MIN_STAGE];
	struct logbuild b;
	struct logline st;
};

static struct fixture *fresh(void)
{
	static struct fixture f;
	logbuild_init(&f.b, f.stage, sizeof f.stage);
	logline_init(&f.st);
	return &f;
}

static void test_stops_at_each_line_when_counted(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	const char *in = "a\nbb\nccc";
	size_t used;
	/* The line at IN is the caller's; the next waits for it. */
	assert_int_equal(logbuild_lines(&f->b, &f->st, 0, "T ", 2, in, 8, SIZE_MAX, 0, &used),
			 LOGBUILD_LINE);
	assert_int_equal(used, 2);
	assert_true(f->st.at_line_start);
	/* One more line start may pass: "ccc" starts, and IN is taken. */
	assert_int_equal(logbuild_lines(&f->b, &f->st, 0, "T ", 2, in + 2, 6, SIZE_MAX, 1, &used),
			 LOGBUILD_DONE);
	assert_int_equal(used, 6);
	assert_int_equal(f->b.bytes, 2 + 2 + 3 + 2 + 3 + 2);
	assert_memory_equal(f->stage, "T a\nT bb\nT ccc", 14);
	f = fresh();
	assert_int_equal(logbuild_lines(&f->b, &f->st, 0, "", 0, "x\ny\nz\n", 6, SIZE_MAX, 1, &used),
			 LOGBUILD_LINE);
	assert_int_equal(used, 4);
}

static void test_stop_is_not_applied_at_in(void **state)
{
	(void)state;
	struct fixture *f = fresh();
	size_t used;
	/* Rotation due at once: the caller decided on the first line (it
	 * rotated); the builder stops before the second. */
	assert_int_equal(logbuild_lines(&f->b, &f->st, 0, "", 0, "a\nb\n", 4, 0, SIZE_MAX, &used),
			 LOGBUILD_LINE);
	assert_int_equal(used, 2);
	assert_int_equal(f->b.bytes, 2);
	/* Mid-line, the first line start met is not the caller's. */
	f = fresh();
	assert_int_equal(logbuild_lines(&f->b, &f->st, 0, "", 0, "ab", 2, SIZE_MAX, SIZE_MAX, &used),
			 LOGBUILD_DONE);
	assert_false(f->st.at_line_start);
	logbuild_reset(&f->b);
	assert_int_equal(logbuild_lines(&f->b, &f->st, 0, "", 0, "c\nd\n", 4, 0, SIZE_MAX, &used),
			 LOGBUILD_LINE);
	assert_int_equal(used, 2);
	/* A cut marker with nothing of IN taken is a stop at a line start too. */
	f = fresh();
	char line[80];
	memset(line, 'q', sizeof line);
	assert_int_equal(logbuild_lines(&f->b, &f->st, 64, "", 0, line, 64, SIZE_MAX, SIZE_MAX, &used),
			 LOGBUILD_DONE);
	logbuild_reset(&f->b);
	assert_int_equal(logbuild_lines(&f->b, &f->st, 64, "", 0, line, 16, SIZE_MAX, 0, &used),
			 LOGBUILD_LINE);
	assert_int_equal(used, 0);
	assert_int_equal(f->b.bytes, sizeof LOGLINE_CUT - 1);
	assert_true(f->st.at_line_start && f->st.continued);
}

static void test_copy_and_ref(void **state)
{
	(void)state;
	static char stage[LOGBUILD_MIN_STAGE];
	struct logbuild b;
	logbuild_init(&b, stage, sizeof stage);
	assert_true(logbuild_copy(&b, "ab", 2));
	assert_true(logbuild_copy(&b, "cd", 2));
	assert_int_equal(b.n, 1); /* copies join */
	char mem[8] = "xyzw";
	assert_true(logbuild_ref(&b, mem, 2));
	assert_true(logbuild_ref(&b, mem + 2, 2));
	assert_int_equal(b.n, 2); /* so do bytes that follow in memory */
	assert_int_equal(b.bytes, 8);
	assert_false(logbuild_copy(&b, mem, sizeof stage)); /* no room: nothing added */
	assert_int_equal(b.bytes, 8);
	assert_true(logbuild_room(&b, sizeof stage - 4, LOGBUILD_IOVS - 2));
	assert_false(logbuild_room(&b, sizeof stage - 3, 1));
	assert_false(logbuild_room(&b, 1, LOGBUILD_IOVS - 1));
	/* Out of segments: refs that do not join are refused. */
	for (int i = 0; b.n < LOGBUILD_IOVS; i++)
		assert_true(logbuild_ref(&b, mem + (i % 2 ? 0 : 4), 1));
	assert_false(logbuild_ref(&b, mem + 6, 1));
	logbuild_reset(&b);
	assert_int_equal(b.n, 0);
	assert_int_equal(b.bytes, 0);
	assert_int_equal(b.used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_the_splitter),
		cmocka_unit_test(test_a_read_is_one_write),
		cmocka_unit_test(test_a_line_longer_than_the_stage),
		cmocka_unit_test(test_rotation_between_lines),
		cmocka_unit_test(test_stops_at_each_line_when_counted),
		cmocka_unit_test(test_stop_is_not_applied_at_in),
		cmocka_unit_test(test_copy_and_ref),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
