/* Unit tests for supervisor/apijson.c: strings that are not UTF-8 become
 * U+FFFD (jansson refuses them), a process's status fields become the
 * object `corralctl status --json` prints (its keys in its order, numbers
 * as numbers, empty fields as null, a worker's pool and a schedule as
 * objects), and error answers are {"code", "message"} with their status.
 * procstatus_fill() and the HTTP answers are faked: the fields are the
 * test's, the answer is kept. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "supervisor/apijson.h"
#include "supervisor/http.h"
#include "supervisor/procstatus.h"

/* ---- fakes ---- */

static const char *fields[PS_NFIELDS];

void procstatus_fill(const struct process *p, struct procstatus *ps, bool usage)
{
	(void)p;
	(void)usage;
	for (int i = 0; i < PS_NFIELDS; i++)
		ps->fields[i] = fields[i] ? fields[i] : "";
}

static struct {
	int status;
	char type[64], headers[256], body[4096];
} answer;

void http_respond_with(struct http_conn *c, int status, const char *type, const char *headers,
		       const char *body, size_t len)
{
	(void)c;
	answer.status = status;
	snprintf(answer.type, sizeof answer.type, "%s", type);
	snprintf(answer.headers, sizeof answer.headers, "%s", headers);
	snprintf(answer.body, sizeof answer.body, "%.*s", (int)len, body);
}

void http_respond_error(struct http_conn *c, int status)
{
	(void)c;
	answer.status = status;
	answer.body[0] = '\0';
}

/* ---- tests ---- */

static void test_string(void **state)
{
	(void)state;
	json_t *j = statusjson_string("caf\xc3\xa9", 5);
	assert_string_equal(json_string_value(j), "caf\xc3\xa9");
	json_decref(j);
	/* a lone continuation byte, a truncated sequence: one U+FFFD each */
	j = statusjson_string("a\x80" "b\xc3", 4);
	assert_non_null(j);
	assert_int_equal(json_string_length(j), 1 + 3 + 1 + 3);
	assert_memory_equal(json_string_value(j), "a\xef\xbf\xbd" "b\xef\xbf\xbd", 8);
	json_decref(j);
	/* a NUL stays a character of the string */
	j = statusjson_string("a\0b", 3);
	assert_int_equal(json_string_length(j), 3);
	json_decref(j);
}

static void set_fields(void)
{
	memset(fields, 0, sizeof fields);
	fields[PS_NAME] = "grp:web_01";
	fields[PS_GROUP] = "web";
	fields[PS_STATE] = "RUNNING";
	fields[PS_PID] = "4242";
	fields[PS_UPTIME] = "17";
	fields[PS_EXITCODE] = "-1";
	fields[PS_SIGNAL] = "9";
	fields[PS_INFO] = "said \"hi\"\n";
	fields[PS_TREE] = "3";
	fields[PS_SCOPE] = "cgroup";
	fields[PS_LOGDROPPED] = "5";
	fields[PS_LOGBLOCKED] = "0";
	fields[PS_SYSLOGDROPPED] = "0";
	fields[PS_CPU] = "1500000";
	fields[PS_MEM] = "1048576";
	fields[PS_POOL] = "jobs";
	fields[PS_WORKER] = "busy job 12";
	fields[PS_POOLSTATS] = "queue=4 inflight=1 bogus done=100";
	fields[PS_SCHEDULE] = "*/5 * * * *";
	fields[PS_NEXTRUN] = "1800000000";
	fields[PS_SKIPPED] = "2";
	fields[PS_NUMPROCS] = "2";
}

static void test_process(void **state)
{
	(void)state;
	set_fields();
	json_t *o = apijson_process(NULL, true);
	assert_non_null(o);
	/* status --json's keys, in corralctl(1)'s order (ipc/statusjson.c,
	 * which corralctl prints with too) */
	static const char *const keys[] = {
		"name", "group", "state", "pid", "uptime", "exitcode", "signal", "spawnerr", "info",
		"tree", "scope", "group_state", "log_dropped", "log_blocked_ms", "syslog_dropped",
		"cpu_seconds", "memory_bytes", "memory_peak_bytes", "health", "pool", "schedule",
		"watches", "roll", "scale", "numprocs",
	};
	size_t i = 0;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		assert_true(i < sizeof keys / sizeof keys[0]);
		assert_string_equal(key, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof keys / sizeof keys[0]);
	assert_int_equal(json_integer_value(json_object_get(o, "pid")), 4242);
	assert_true(json_is_null(json_object_get(o, "exitcode")));
	assert_string_equal(json_string_value(json_object_get(o, "signal")), "SIGKILL");
	assert_true(json_is_null(json_object_get(o, "spawnerr")));
	assert_string_equal(json_string_value(json_object_get(o, "info")), "said \"hi\"\n");
	assert_true(json_real_value(json_object_get(o, "cpu_seconds")) == 1.5);
	assert_true(json_is_null(json_object_get(o, "memory_peak_bytes")));
	json_t *pool = json_object_get(o, "pool");
	assert_string_equal(json_string_value(json_object_get(pool, "worker")), "busy");
	assert_int_equal(json_integer_value(json_object_get(pool, "job")), 12);
	assert_int_equal(json_integer_value(json_object_get(pool, "queue")), 4);
	assert_int_equal(json_integer_value(json_object_get(pool, "done")), 100);
	assert_null(json_object_get(pool, "bogus"));
	json_t *sched = json_object_get(o, "schedule");
	assert_true(json_is_null(json_object_get(sched, "last_run")));
	assert_int_equal(json_integer_value(json_object_get(sched, "next_run")), 1800000000);
	assert_int_equal(json_integer_value(json_object_get(sched, "skipped")), 2);
	json_decref(o);

	/* no pool: no key; no schedule, no numprocs: null and absent */
	fields[PS_POOL] = fields[PS_SCHEDULE] = fields[PS_NUMPROCS] = NULL;
	fields[PS_SIGNAL] = "0";
	fields[PS_EXITCODE] = "3";
	o = apijson_process(NULL, false);
	assert_null(json_object_get(o, "pool"));
	assert_null(json_object_get(o, "numprocs"));
	assert_true(json_is_null(json_object_get(o, "schedule")));
	assert_true(json_is_null(json_object_get(o, "signal")));
	assert_int_equal(json_integer_value(json_object_get(o, "exitcode")), 3);
	json_decref(o);
}

static void test_errors(void **state)
{
	(void)state;
	apijson_error(NULL, 404, "no_such_program", "no program named %s", "x\"y");
	assert_int_equal(answer.status, 404);
	assert_string_equal(answer.type, "application/json");
	json_error_t e;
	json_t *o = json_loads(answer.body, 0, &e);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "code")), "no_such_program");
	assert_string_equal(json_string_value(json_object_get(o, "message")),
			    "no program named x\"y");
	assert_int_equal(json_object_size(o), 2);
	json_decref(o);
	apijson_error_with(NULL, 405, "Allow: GET\r\n", "method_not_allowed", "GET only");
	assert_int_equal(answer.status, 405);
	assert_non_null(strstr(answer.headers, "Allow: GET\r\n"));
	/* out of memory (no body): a plain 500 */
	apijson_answer(NULL, 200, NULL, "");
	assert_int_equal(answer.status, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_process),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests_name("apijson", tests, NULL, NULL);
}
