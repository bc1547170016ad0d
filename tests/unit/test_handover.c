/* Unit tests for supervisor/handover.c: the record corrald hands to the
 * corrald it execs, written and read back, and refused whole when it is
 * short, long, of another version or malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor/handover.h"

static void fill(struct handover *h)
{
	memset(h, 0, sizeof *h);
	h->version = strdup("0.1.0");
	h->config_path = strdup("/etc/corral/corral.conf");
	h->scope_path = strdup("/sys/fs/cgroup/corral-1");
	h->guard_pid = 4242;
	h->guard_pipe = 7;
	h->guard_pidfd = 8;
	assert_int_equal(handover_add_fd(h, "control", "/run/corral/corral.sock", 5), 0);
	assert_int_equal(handover_add_fd(h, "http-inet", "127.0.0.1:9001", 6), 0);
	struct handover_proc *p = handover_add_proc(h, "web");
	assert_non_null(p);
	p->pid = 100;
	p->pidfd = 20;
	p->state = 2;
	p->retries = 1;
	p->restart_due = false;
	p->killing = 0;
	p->last = 3;
	p->started_ms = 123456789;
	p->start_wall = 1796540000;
	p->stop_wall = 0;
	p->exitcode = -1;
	p->exitsig = 0;
	p->exit_pid = 99;
	p->leaf_used = true;
	p->out = (struct handover_stream){ .pipe_fd = 21, .at_line_start = false, .continued = true,
					   .line_len = 17, .dropped = 2, .blocked_ms = 30,
					   .syslog_dropped = 4, .logged_bytes = 1ULL << 33,
					   .logged_lines = 9 };
	p->err.pipe_fd = 22;
	p->err.at_line_start = true;
	p->timer_ms = 987654321;
	p->dep_waiting = true;
	p->ready_fd = 23;
	p->restarts = 12;
	p->err.logged_lines = 3;
	p = handover_add_proc(h, "batch");
	assert_non_null(p);
	p->spawnerr = strdup("can't find command 'nope'");
	p->exitcode = 127;
	struct handover_out o = { 0 };
	handover_put_u64(&o, 1ULL << 40);
	handover_put_i32(&o, -5);
	handover_put_bool(&o, true);
	handover_put_str(&o, "job 7");
	handover_put_bytes(&o, "a\0b", 3);
	assert_int_equal(handover_add_part(h, "pool", "upper", &o), 0);
	assert_null(o.data); /* moved into the record */
}

static void test_round_trip(void **state)
{
	(void)state;
	struct handover h, back;
	fill(&h);
	char *buf, why[256];
	size_t len;
	assert_int_equal(handover_encode(&h, &buf, &len), 0);
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), 0);
	assert_string_equal(back.version, "0.1.0");
	assert_string_equal(back.config_path, "/etc/corral/corral.conf");
	assert_string_equal(back.scope_path, "/sys/fs/cgroup/corral-1");
	assert_int_equal(back.guard_pid, 4242);
	assert_int_equal(back.guard_pipe, 7);
	assert_int_equal(back.guard_pidfd, 8);
	assert_int_equal(back.nfds, 2);
	assert_string_equal(back.fds[1].kind, "http-inet");
	assert_string_equal(back.fds[1].key, "127.0.0.1:9001");
	assert_int_equal(back.fds[1].fd, 6);
	assert_int_equal(back.nprocs, 2);
	const struct handover_proc *p = &back.procs[0];
	assert_string_equal(p->name, "web");
	assert_int_equal(p->pid, 100);
	assert_int_equal(p->pidfd, 20);
	assert_int_equal(p->state, 2);
	assert_int_equal(p->last, 3);
	assert_int_equal(p->started_ms, 123456789);
	assert_int_equal(p->start_wall, 1796540000);
	assert_int_equal(p->exitcode, -1);
	assert_int_equal(p->exit_pid, 99);
	assert_true(p->leaf_used);
	assert_null(p->spawnerr);
	assert_int_equal(p->out.pipe_fd, 21);
	assert_false(p->out.at_line_start);
	assert_true(p->out.continued);
	assert_int_equal(p->out.line_len, 17);
	assert_int_equal(p->out.dropped, 2);
	assert_int_equal(p->out.blocked_ms, 30);
	assert_int_equal(p->out.syslog_dropped, 4);
	assert_true(back.procs[0].err.at_line_start);
	assert_int_equal(p->timer_ms, 987654321);
	assert_true(p->dep_waiting);
	assert_false(p->dep_restart);
	assert_int_equal(p->ready_fd, 23);
	assert_int_equal(back.procs[1].ready_fd, -1);
	assert_string_equal(back.procs[1].spawnerr, "can't find command 'nope'");
	assert_int_equal(back.procs[1].pid, 0);
	assert_int_equal(back.procs[1].pidfd, -1);

	/* taken from as the new corrald does */
	handover_set_current(&back);
	assert_true(handover_active());
	assert_int_equal(handover_take_fd("control", "/run/corral/corral.sock"), 5);
	assert_int_equal(handover_take_fd("control", "/run/corral/corral.sock"), -1); /* once */
	assert_int_equal(handover_take_fd("http-unix", "127.0.0.1:9001"), -1);
	assert_non_null(handover_find_proc("batch"));
	assert_null(handover_find_proc("nosuch"));
	/* a part, read back with the same primitives */
	assert_null(handover_find_part("pool", "lower"));
	const struct handover_part *pt = handover_find_part("pool", "upper");
	assert_non_null(pt);
	struct handover_in in = { pt->data, pt->data + pt->len, false };
	assert_true(handover_get_u64(&in) == 1ULL << 40);
	assert_int_equal(handover_get_i32(&in), -5);
	assert_true(handover_get_bool(&in));
	char *str = handover_get_str(&in);
	assert_string_equal(str, "job 7");
	free(str);
	size_t blen;
	char *bytes = handover_get_bytes(&in, &blen);
	assert_int_equal(blen, 3);
	assert_memory_equal(bytes, "a\0b", 3);
	free(bytes);
	assert_false(in.bad);
	assert_true(in.p == in.end);
	/* past its end: bad, and zeros */
	assert_int_equal(handover_get_u32(&in), 0);
	assert_true(in.bad);
	/* what nobody took is closed: a descriptor of our own stands for it */
	int fd = dup(STDERR_FILENO);
	assert_true(fd >= 0);
	struct handover *cur = (struct handover *)handover_current();
	cur->fds[1].fd = fd;
	handover_done();
	assert_false(handover_active());
	errno = 0;
	assert_int_equal(close(fd), -1);
	assert_int_equal(errno, EBADF);
	free(buf);
	handover_free(&h);
}

static void test_refused_whole(void **state)
{
	(void)state;
	struct handover h, back;
	fill(&h);
	char *buf, why[256];
	size_t len;
	assert_int_equal(handover_encode(&h, &buf, &len), 0);
	/* every shorter prefix is refused, never half read */
	for (size_t n = 0; n < len; n += 7)
		assert_int_equal(handover_decode(buf, n, &back, why, sizeof why), -EINVAL);
	/* a byte more */
	char *longer = malloc(len + 1);
	memcpy(longer, buf, len);
	longer[len] = 'x';
	assert_int_equal(handover_decode(longer, len + 1, &back, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "bytes"));
	free(longer);
	/* another version: the body is not looked at */
	size_t mlen = strlen(HANDOVER_MAGIC);
	buf[mlen] = HANDOVER_VERSION + 1;
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "version 4"));
	buf[mlen] = 0;
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), -EINVAL);
	buf[mlen] = HANDOVER_VERSION;
	/* not a record at all */
	assert_int_equal(handover_decode("#!/bin/sh\n", 10, &back, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "not a corral handover record"));
	/* a bool that is neither 0 nor 1: find web's leaf_used (the byte before
	 * its out stream's pipe 21) by encoding and flipping it */
	int flipped = 0;
	for (size_t i = mlen + 12; i + 4 < len; i++)
		if ((unsigned char)buf[i] == 1 && buf[i + 1] == 21 && buf[i + 2] == 0 &&
		    buf[i + 3] == 0 && buf[i + 4] == 0) {
			buf[i] = 5;
			flipped++;
			break;
		}
	assert_int_equal(flipped, 1);
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), -EINVAL);
	assert_non_null(strstr(why, "malformed"));
	free(buf);
	/* a running process without a pidfd */
	h.procs[0].pidfd = -1;
	assert_int_equal(handover_encode(&h, &buf, &len), 0);
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), -EINVAL);
	free(buf);
	handover_free(&h);
}

/* Records of version 2 (before restarts and logged counts) and 1 (before
 * parts): made from a version 3 record of one process by cutting what
 * each later version added at the end of each. */
/* BUF, LEN bytes, says it is a record of VERSION of that length. */
static void set_length(char *buf, size_t len, int version)
{
	size_t mlen = strlen(HANDOVER_MAGIC);
	buf[mlen] = (char)version;
	uint64_t blen = len - (mlen + 12);
	for (int i = 0; i < 8; i++)
		buf[mlen + 4 + i] = (char)(blen >> (8 * i));
}

static void test_versions_1_and_2_read(void **state)
{
	(void)state;
	struct handover h = { .version = strdup("0.1.0"), .config_path = strdup("/c.conf"),
			      .scope_path = strdup(""), .guard_pipe = -1, .guard_pidfd = -1 };
	struct handover_proc *p = handover_add_proc(&h, "web");
	assert_non_null(p);
	p->pid = 100;
	p->pidfd = 20;
	p->err.pipe_fd = 22;
	p->timer_ms = 77;
	p->ready_fd = 9;
	p->restarts = 4;
	struct handover back;
	char *buf, why[256];
	size_t len;
	assert_int_equal(handover_encode(&h, &buf, &len), 0);
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), 0);
	assert_int_equal(back.procs[0].timer_ms, 77);
	assert_int_equal(back.procs[0].ready_fd, 9);
	assert_int_equal(back.procs[0].restarts, 4);
	handover_free(&back);
	size_t mlen = strlen(HANDOVER_MAGIC);
	/* version 2: the parts' count (u32, 0) moves before the process's
	 * restarts and two streams' counts (5 u64), which go */
	memmove(buf + len - 4 - 40, buf + len - 4, 4);
	len -= 40;
	set_length(buf, len, 2);
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), 0);
	assert_int_equal(back.procs[0].ready_fd, 9);
	assert_int_equal(back.procs[0].restarts, 0);
	handover_free(&back);
	/* version 1: cut the parts' count (u32) and the process's timer, two bools and fd */
	len -= 4 + 8 + 1 + 1 + 4;
	set_length(buf, len, 1);
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), 0);
	assert_int_equal(back.nprocs, 1);
	assert_string_equal(back.procs[0].name, "web");
	assert_int_equal(back.procs[0].pid, 100);
	assert_int_equal(back.procs[0].err.pipe_fd, 22);
	assert_int_equal(back.procs[0].timer_ms, 0);
	assert_int_equal(back.procs[0].ready_fd, -1);
	assert_int_equal(back.nparts, 0);
	handover_free(&back);
	/* the same bytes as version 2 are short */
	buf[mlen] = 2;
	assert_int_equal(handover_decode(buf, len, &back, why, sizeof why), -EINVAL);
	free(buf);
	handover_free(&h);
}

static void test_memfd_round_trip(void **state)
{
	(void)state;
	struct handover h, back;
	fill(&h);
	int fd = handover_write(&h);
	assert_true(fd >= 0);
	char why[256];
	assert_int_equal(handover_read(fd, &back, why, sizeof why), 0);
	assert_int_equal(back.nprocs, 2);
	assert_string_equal(back.procs[0].name, "web");
	errno = 0;
	assert_int_equal(close(fd), -1); /* read closes it */
	handover_free(&back);
	handover_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused_whole),
		cmocka_unit_test(test_versions_1_and_2_read),
		cmocka_unit_test(test_memfd_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
