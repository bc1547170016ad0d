/* Unit tests for sandbox/limits.c */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/limits.h"

static void ok(struct limits *l, int i, const char *value, const char *want)
{
	char err[160] = "";
	if (limits_parse(l, i, value, err, sizeof err) != 0)
		fail_msg("%s = %s: %s", limits_key_name(i), value, err);
	assert_true(l->set[i]);
	assert_string_equal(l->value[i], want);
}

static void bad(int i, const char *value)
{
	struct limits l = { 0 };
	char err[160] = "";
	if (limits_parse(&l, i, value, err, sizeof err) != -EDOM)
		fail_msg("%s = %s accepted as %s", limits_key_name(i), value, l.value[i]);
	assert_false(l.set[i]);
	assert_true(err[0]);
}

static void test_parse(void **state)
{
	(void)state;
	struct limits l = { 0 };
	ok(&l, LIMITS_MEMORY, "256M", "268435456");
	ok(&l, LIMITS_MEMORY, "1g", "1073741824");
	ok(&l, LIMITS_MEMORY, "4096", "4096");
	ok(&l, LIMITS_MEMORY, "max", "max");
	ok(&l, LIMITS_PIDS, "100", "100");
	ok(&l, LIMITS_PIDS, "infinity", "max");
	ok(&l, LIMITS_CPU, "50%", "50000 100000");
	ok(&l, LIMITS_CPU, "250%", "250000 100000");
	ok(&l, LIMITS_CPU, "20000 50000", "20000 50000");
	ok(&l, LIMITS_CPU, "max", "max 100000");
	bad(LIMITS_MEMORY, "lots");
	bad(LIMITS_MEMORY, "1GB");
	bad(LIMITS_MEMORY, "-1");
	bad(LIMITS_MEMORY, "99999999999999999999");
	bad(LIMITS_MEMORY, "");
	bad(LIMITS_PIDS, "0");
	bad(LIMITS_PIDS, "10k");
	bad(LIMITS_CPU, "50");
	bad(LIMITS_CPU, "0%");
	bad(LIMITS_CPU, "10 100");          /* below 1 ms */
	bad(LIMITS_CPU, "50000 2000000");   /* period above 1 s */
	bad(LIMITS_CPU, "50% ");
	ok(&l, LIMITS_MEMORY_HIGH, "200M", "209715200");
	ok(&l, LIMITS_MEMORY_HIGH, "max", "max");
	bad(LIMITS_MEMORY_HIGH, "1GB");
	ok(&l, LIMITS_CPU_WEIGHT, "1", "1");
	ok(&l, LIMITS_CPU_WEIGHT, "10000", "10000");
	bad(LIMITS_CPU_WEIGHT, "0");
	bad(LIMITS_CPU_WEIGHT, "10001");
	bad(LIMITS_CPU_WEIGHT, "max");    /* a weight, not a limit */
	bad(LIMITS_CPU_WEIGHT, "50%");
	ok(&l, LIMITS_MEMORY_SWAP, "1G", "1073741824");
	ok(&l, LIMITS_MEMORY_SWAP, "max", "max");
	ok(&l, LIMITS_IO_WEIGHT, "200", "200");
	bad(LIMITS_IO_WEIGHT, "0");
	bad(LIMITS_IO_WEIGHT, "max");
	assert_string_equal(limits_v1_controller(LIMITS_IO_WEIGHT), "blkio");
	assert_string_equal(limits_v1_file(LIMITS_IO_WEIGHT), "blkio.weight");
	assert_null(limits_v1_file(LIMITS_PIDS));
	assert_int_equal(limits_key("memory_high"), LIMITS_MEMORY_HIGH);
	assert_int_equal(limits_key("cpu_weight"), LIMITS_CPU_WEIGHT);
	assert_string_equal(limits_file(LIMITS_CPU_WEIGHT), "cpu.weight");
	assert_int_equal(limits_key("memory_max"), LIMITS_MEMORY);
	assert_int_equal(limits_key("cpu_max"), LIMITS_CPU);
	assert_int_equal(limits_key("io_max"), -1);
	assert_string_equal(limits_file(LIMITS_PIDS), "pids.max");
	assert_string_equal(limits_controller(LIMITS_CPU), "cpu");
}

static void test_controllers(void **state)
{
	(void)state;
	assert_int_equal(limits_parse_controllers(""), 0);
	/* memory_high and memory_swap_max share memory, cpu_weight cpu */
	assert_int_equal(limits_parse_controllers("cpuset cpu io memory hugetlb pids rdma misc\n"),
			 (1 << LIMITS_N) - 1);
	assert_int_equal(limits_parse_controllers("cpuset iox memoryx\n"), 0);
	assert_int_equal(limits_parse_controllers("io"), 1 << LIMITS_IO_WEIGHT);
	assert_int_equal(limits_parse_controllers("pids"), 1 << LIMITS_PIDS);
	struct limits l = { 0 };
	assert_int_equal(limits_wanted(&l), 0);
	ok(&l, LIMITS_PIDS, "5", "5");
	assert_int_equal(limits_wanted(&l), 1 << LIMITS_PIDS);
	struct limits m = l;
	assert_true(limits_equal(&l, &m));
	ok(&m, LIMITS_PIDS, "6", "6");
	assert_false(limits_equal(&l, &m));
}

static char dir[64];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void write_text(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void read_text(const char *name, char *buf, size_t len)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	int fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

/* A directory that stands in for a cgroup: what is read and written where. */
static void test_files(void **state)
{
	(void)state;
	char err[256], buf[64];
	snprintf(dir, sizeof dir, "/tmp/corral-limits-XXXXXX");
	assert_non_null(mkdtemp(dir));
	write_text("cgroup.controllers", "cpu io pids\n");
	write_text("cgroup.subtree_control", "");
	/* memory is not offered: not enabled, and said so; pids is written "+pids" */
	int on = limits_enable(dir, 1 << LIMITS_MEMORY | 1 << LIMITS_PIDS, err, sizeof err);
	assert_int_equal(on, 1 << LIMITS_PIDS); /* written: the kernel would have refused */
	assert_non_null(strstr(err, "the memory controller is not enabled"));
	read_text("cgroup.subtree_control", buf, sizeof buf);
	assert_string_equal(buf, "+pids");
	write_text("cgroup.subtree_control", "pids\n");
	assert_int_equal(limits_enabled(dir), 1 << LIMITS_PIDS);
	/* apply writes only what is enabled */
	struct limits l = { 0 };
	ok(&l, LIMITS_PIDS, "64", "64");
	ok(&l, LIMITS_MEMORY, "1M", "1048576");
	write_text("pids.max", ""); /* empty: a write does not truncate a plain file */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	int failed = -1;
	assert_int_equal(limits_apply(dfd, &l, 1 << LIMITS_PIDS, &failed), 0);
	read_text("pids.max", buf, sizeof buf);
	assert_string_equal(buf, "64");
	/* a missing file is an error naming the limit */
	assert_int_equal(limits_apply(dfd, &l, 1 << LIMITS_MEMORY, &failed), -ENOENT);
	assert_int_equal(failed, LIMITS_MEMORY);
	close(dfd);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	assert_true(limits_enabled(dir) < 0);
}

/* cgroup v1: each limit into the files of its controller's hierarchy. */
static void test_files_v1(void **state)
{
	(void)state;
	char buf[64];
	snprintf(dir, sizeof dir, "/tmp/corral-limits-XXXXXX");
	assert_non_null(mkdtemp(dir));
	const char *files[] = { "memory.limit_in_bytes", "pids.max", "cpu.cfs_period_us",
				"cpu.cfs_quota_us", "cpu.shares" };
	for (size_t i = 0; i < 5; i++)
		write_text(files[i], "");
	struct limits l = { 0 };
	ok(&l, LIMITS_MEMORY, "64M", "67108864");
	ok(&l, LIMITS_PIDS, "20", "20");
	ok(&l, LIMITS_CPU, "50%", "50000 100000");
	ok(&l, LIMITS_CPU_WEIGHT, "50", "50");
	ok(&l, LIMITS_MEMORY_HIGH, "32M", "33554432");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < LIMITS_N; i++)
		if (l.set[i] && i != LIMITS_MEMORY_HIGH)
			assert_int_equal(limits_apply_v1(dfd, &l, i), 0);
	/* swap: v1 limits memory and swap together; io: the weight over 10 */
	write_text("memory.memsw.limit_in_bytes", "");
	write_text("blkio.weight", "");
	ok(&l, LIMITS_MEMORY_SWAP, "32M", "33554432");
	ok(&l, LIMITS_IO_WEIGHT, "200", "200");
	assert_int_equal(limits_apply_v1(dfd, &l, LIMITS_MEMORY_SWAP), 0);
	read_text("memory.memsw.limit_in_bytes", buf, sizeof buf);
	assert_string_equal(buf, "100663296"); /* 64M + 32M */
	assert_int_equal(limits_apply_v1(dfd, &l, LIMITS_IO_WEIGHT), 0);
	read_text("blkio.weight", buf, sizeof buf);
	assert_string_equal(buf, "20");
	struct limits noswap = { 0 };
	ok(&noswap, LIMITS_MEMORY_SWAP, "32M", "33554432");
	assert_int_equal(limits_apply_v1(dfd, &noswap, LIMITS_MEMORY_SWAP), -EINVAL);
	/* v1 has no memory.high: refused, and said to be so */
	assert_false(limits_v1_has(LIMITS_MEMORY_HIGH));
	assert_true(limits_v1_has(LIMITS_CPU_WEIGHT));
	assert_int_equal(limits_apply_v1(dfd, &l, LIMITS_MEMORY_HIGH), -EOPNOTSUPP);
	read_text("cpu.shares", buf, sizeof buf);
	assert_string_equal(buf, "512");
	read_text("memory.limit_in_bytes", buf, sizeof buf);
	assert_string_equal(buf, "67108864");
	read_text("pids.max", buf, sizeof buf);
	assert_string_equal(buf, "20");
	read_text("cpu.cfs_period_us", buf, sizeof buf);
	assert_string_equal(buf, "100000");
	read_text("cpu.cfs_quota_us", buf, sizeof buf);
	assert_string_equal(buf, "50000");
	/* max is -1 where v1 says so, "max" where it takes it */
	ok(&l, LIMITS_MEMORY, "max", "max");
	ok(&l, LIMITS_CPU, "max", "max 100000");
	ok(&l, LIMITS_PIDS, "max", "max");
	for (size_t i = 0; i < 5; i++)
		write_text(files[i], "");
	for (int i = 0; i < LIMITS_CPU_WEIGHT; i++)
		if (i != LIMITS_MEMORY_HIGH)
			assert_int_equal(limits_apply_v1(dfd, &l, i), 0);
	read_text("memory.limit_in_bytes", buf, sizeof buf);
	assert_string_equal(buf, "-1");
	read_text("cpu.cfs_quota_us", buf, sizeof buf);
	assert_string_equal(buf, "-1");
	read_text("pids.max", buf, sizeof buf);
	assert_string_equal(buf, "max");
	/* a hierarchy without the file: the error, not silence */
	assert_int_equal(unlinkat(dfd, "pids.max", 0), 0);
	assert_int_equal(limits_apply_v1(dfd, &l, LIMITS_PIDS), -ENOENT);
	close(dfd);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	/* shown as the config would say it */
	ok(&l, LIMITS_MEMORY, "64M", "67108864");
	assert_string_equal(limits_show(&l, LIMITS_MEMORY, buf, sizeof buf), "64M");
	ok(&l, LIMITS_MEMORY, "1536K", "1572864");
	assert_string_equal(limits_show(&l, LIMITS_MEMORY, buf, sizeof buf), "1536K");
	ok(&l, LIMITS_MEMORY, "1000", "1000");
	assert_string_equal(limits_show(&l, LIMITS_MEMORY, buf, sizeof buf), "1000");
	ok(&l, LIMITS_MEMORY, "2G", "2147483648");
	assert_string_equal(limits_show(&l, LIMITS_MEMORY, buf, sizeof buf), "2G");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_controllers),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_files_v1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
