/* metrics — Prometheus metrics of corrald (metrics.h). */
#include "supervisor/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc/io.h"
#include "ipc/proto.h"
#include "supervisor/apievents.h"
#include "supervisor/http.h"
#include "supervisor/log.h"
#include "supervisor/health.h"
#include "supervisor/loop.h"
#include "supervisor/pool.h"
#include "supervisor/procfs.h"
#include "supervisor/promtext.h"
#include "supervisor/sdview.h"
#include "supervisor/sockets.h"
#include "supervisor/sockstat.h"
#include "supervisor/supervisor.h"
#include "supervisor/usage.h"

/* One process as a scrape sees it: read once, written in every family. */
struct row {
	const struct process *p;
	size_t labels;          /* its label pairs, at this offset of the arena */
	struct usage u;
};

/* ---- processes ---- */

static const char *label_text(const char *arena, const struct row *r)
{
	return arena + r->labels;
}

/* A stream's time held back so far, the hold in progress included. */
static int64_t blocked_ms(const struct logstream *s, int64_t now)
{
	uint64_t ms = s->blocked_ms;
	if (s->held && now > s->held_since)
		ms += (uint64_t)(now - s->held_since);
	return (int64_t)ms;
}

enum pfield {
	PF_UP, PF_START, PF_RESTARTS, PF_EXIT_CODE, PF_EXIT_SIGNAL, PF_CPU, PF_MEM, PF_MEM_PEAK,
	PF_HEALTHY, PF_HEALTH_FAILURES,
};

/* FIELD of R; false when it has none now (the sample is left out). */
static bool pfield(const struct row *r, enum pfield field, int64_t *v, int *decimals)
{
	const struct process *p = r->p;
	*decimals = 0;
	switch (field) {
	case PF_UP:
		*v = p->fsm.state == PSTATE_RUNNING;
		return true;
	case PF_START:
		*v = p->start_wall;
		return p->start_wall != 0;
	case PF_RESTARTS:
		*v = (int64_t)p->restarts;
		return true;
	case PF_EXIT_CODE:
		*v = p->exitcode;
		return p->stop_wall != 0 && p->exitcode >= 0;
	case PF_EXIT_SIGNAL:
		*v = p->exitsig;
		return p->stop_wall != 0 && p->exitsig > 0;
	case PF_CPU:
		*v = r->u.cpu_usec;
		*decimals = 6;
		return r->u.cpu_usec >= 0;
	case PF_MEM:
		*v = r->u.mem;
		return r->u.mem >= 0;
	case PF_MEM_PEAK:
		*v = r->u.mem_peak;
		return r->u.mem_peak >= 0;
	case PF_HEALTHY:
	case PF_HEALTH_FAILURES: {
		int healthy;
		uint64_t failures;
		if (!health_figures(p, &healthy, &failures))
			return false;
		*v = field == PF_HEALTHY ? healthy : (int64_t)failures;
		return field != PF_HEALTHY || healthy >= 0;
	}
	}
	return false;
}

static const struct {
	const char *name;
	enum promtext_kind kind;
	enum pfield field;
	const char *help;
} pfamilies[] = {
	{ "corral_process_up", PROMTEXT_GAUGE, PF_UP, "1 when the process is RUNNING, else 0." },
	{ "corral_process_start_time_seconds", PROMTEXT_GAUGE, PF_START,
	  "When the process was last spawned, in seconds since the Unix epoch." },
	{ "corral_process_restarts", PROMTEXT_COUNTER, PF_RESTARTS,
	  "Spawns of the process after its first, automatic or asked for." },
	{ "corral_process_last_exit_code", PROMTEXT_GAUGE, PF_EXIT_CODE,
	  "The exit status of the process's last run that exited." },
	{ "corral_process_last_exit_signal", PROMTEXT_GAUGE, PF_EXIT_SIGNAL,
	  "The signal that ended the process's last run that was killed." },
	{ "corral_process_cpu_seconds", PROMTEXT_COUNTER, PF_CPU,
	  "CPU time, user and system, used by the process's tree (its cgroup, else /proc)." },
	{ "corral_process_memory_bytes", PROMTEXT_GAUGE, PF_MEM,
	  "Memory used by the process's tree (its cgroup, else resident memory in /proc)." },
	{ "corral_process_memory_peak_bytes", PROMTEXT_GAUGE, PF_MEM_PEAK,
	  "The most memory the process's cgroup used since it was spawned." },
	{ "corral_process_healthy", PROMTEXT_GAUGE, PF_HEALTHY,
	  "1 when the process's healthcheck passed last, 0 when it is unhealthy (none while "
	  "there is no verdict)." },
	{ "corral_process_health_failures", PROMTEXT_COUNTER, PF_HEALTH_FAILURES,
	  "Health checks of the process that failed since corrald started." },
};

enum sfield { SF_BYTES, SF_LINES, SF_DROPPED, SF_BLOCKED };

static const struct {
	const char *name;
	enum sfield field;
	const char *help;
} sfamilies[] = {
	{ "corral_process_log_bytes", SF_BYTES,
	  "Bytes of the process's output written to its log, without stamps corrald adds." },
	{ "corral_process_log_lines", SF_LINES, "Lines of the process's output written to its log." },
	{ "corral_process_log_dropped_lines", SF_DROPPED,
	  "Lines of the process's output dropped by its log rate limit." },
	{ "corral_process_log_blocked_seconds", SF_BLOCKED,
	  "Time the process was held back writing its output (rate limit, or a log that could "
	  "not be written)." },
};

static int64_t sfield(const struct logstream *s, enum sfield field, int64_t now)
{
	switch (field) {
	case SF_BYTES:
		return (int64_t)s->logged_bytes;
	case SF_LINES:
		return (int64_t)s->logged_lines;
	case SF_DROPPED:
		return (int64_t)s->dropped;
	case SF_BLOCKED:
		return blocked_ms(s, now);
	}
	return 0;
}

static void write_processes(struct promtext *w, const struct row *rows, size_t n,
			    const char *arena)
{
	promtext_family(w, "corral_process_state", PROMTEXT_GAUGE,
			"1 for the state the process is in (supervisord's names), 0 for the others.");
	for (size_t i = 0; i < n; i++)
		for (enum pstate s = PSTATE_STOPPED; s <= PSTATE_UNKNOWN; s++)
			promtext_sample(w, label_text(arena, &rows[i]), "state", program_state_name(s),
					rows[i].p->fsm.state == s, 0);
	for (size_t f = 0; f < sizeof pfamilies / sizeof pfamilies[0]; f++) {
		promtext_family(w, pfamilies[f].name, pfamilies[f].kind, pfamilies[f].help);
		for (size_t i = 0; i < n; i++) {
			int64_t v;
			int decimals;
			if (pfield(&rows[i], pfamilies[f].field, &v, &decimals))
				promtext_sample(w, label_text(arena, &rows[i]), NULL, NULL, v, decimals);
		}
	}
	int64_t now = loop_now_ms();
	for (size_t f = 0; f < sizeof sfamilies / sizeof sfamilies[0]; f++) {
		promtext_family(w, sfamilies[f].name, PROMTEXT_COUNTER, sfamilies[f].help);
		int decimals = sfamilies[f].field == SF_BLOCKED ? 3 : 0;
		for (size_t i = 0; i < n; i++) {
			const struct process *p = rows[i].p;
			promtext_sample(w, label_text(arena, &rows[i]), "stream", "stdout",
					sfield(&p->out, sfamilies[f].field, now), decimals);
			promtext_sample(w, label_text(arena, &rows[i]), "stream", "stderr",
					sfield(&p->err, sfamilies[f].field, now), decimals);
		}
	}
}

/* Every process the running config has, its labels and usage read once:
 * a heap array into *OUT, its labels in a heap ARENA. How many, or -1. */
static long read_processes(struct row **out, char **arena)
{
	struct process **v;
	size_t n = sdview_processes(NULL, true, &v), k = 0;
	size_t alen = 0;
	*arena = NULL;
	FILE *a = open_memstream(arena, &alen);
	struct row *rows = n ? calloc(n, sizeof *rows) : NULL;
	if (!a || (n && (!v || !rows))) {
		if (a)
			fclose(a);
		free(rows);
		free(v);
		return -1;
	}
	for (; k < n; k++) {
		const struct process *p = v[k];
		long off = ftell(a);
		if (off < 0)
			break;
		rows[k].p = p;
		rows[k].labels = (size_t)off;
		promtext_label(a, "name", p->name);
		fputc(',', a);
		promtext_label(a, "group", program_group_name(p->prog));
		fputc(',', a);
		promtext_label(a, "program", p->prog->cfg->name);
		fputc('\0', a);
		usage_read(p, &rows[k].u);
	}
	free(v);
	if (fclose(a) != 0 || k < n) {
		free(*arena);
		*arena = NULL;
		free(rows);
		return -1;
	}
	*out = rows;
	return (long)n;
}

/* ---- pools ---- */

#define POOL_FIELD(f) offsetof(struct pool_figures, f)

static const struct {
	const char *name;
	enum promtext_kind kind;
	size_t at;              /* its uint64_t in struct pool_figures */
	const char *help;
} poolfams[] = {
	{ "corral_pool_queued_jobs", PROMTEXT_GAUGE, POOL_FIELD(queued),
	  "Jobs waiting in the pool's queue (or to be tried again)." },
	{ "corral_pool_in_flight_jobs", PROMTEXT_GAUGE, POOL_FIELD(in_flight),
	  "Jobs given to a worker and not answered yet." },
	{ "corral_pool_jobs_done", PROMTEXT_COUNTER, POOL_FIELD(done), "Jobs a worker answered." },
	{ "corral_pool_jobs_failed", PROMTEXT_COUNTER, POOL_FIELD(failed),
	  "Jobs that failed (workers crashed with them past the retries, the pool "
	  "was removed, a job its framing cannot carry)." },
	{ "corral_pool_jobs_timed_out", PROMTEXT_COUNTER, POOL_FIELD(timed_out),
	  "Jobs that ran past the pool's job_timeout." },
	{ "corral_pool_jobs_retried", PROMTEXT_COUNTER, POOL_FIELD(retried),
	  "Jobs given to a worker again after one crashed with them." },
	{ "corral_pool_jobs_cancelled", PROMTEXT_COUNTER, POOL_FIELD(cancelled),
	  "Jobs dropped because their producer went away." },
	{ "corral_pool_jobs_refused", PROMTEXT_COUNTER, POOL_FIELD(refused),
	  "Jobs refused: the queue was full for a producer that does not wait." },
	{ "corral_pool_queue_capacity_jobs", PROMTEXT_GAUGE, POOL_FIELD(queue_max),
	  "The most jobs the pool's queue holds (its queue =)." },
	{ "corral_pool_producers", PROMTEXT_GAUGE, POOL_FIELD(producers),
	  "Producers (corralctl submit) connected to the pool." },
};

static void write_pools(struct promtext *w, const struct pool_figures *v, long n)
{
	for (size_t f = 0; f < sizeof poolfams / sizeof poolfams[0]; f++) {
		promtext_family(w, poolfams[f].name, poolfams[f].kind, poolfams[f].help);
		for (long i = 0; i < n; i++) {
			uint64_t x;
			memcpy(&x, (const char *)&v[i] + poolfams[f].at, sizeof x);
			promtext_sample(w, NULL, "pool", v[i].name, (int64_t)x, 0);
		}
	}
}

/* ---- sockets ---- */

/* Each stream address of each [socket:], its queue as the kernel says. */
static void write_sockets(struct promtext *w)
{
	const struct corral_config *cfg = supervisor_config();
	static const char *const names[2] = { "corral_socket_listen_queue",
					      "corral_socket_listen_backlog" };
	static const char *const helps[2] = {
		"Connections waiting in the socket's accept queue for its program to accept them.",
		"The most connections the socket's accept queue holds (its backlog).",
	};
	for (int f = 0; f < 2; f++) {
		promtext_family(w, names[f], PROMTEXT_GAUGE, helps[f]);
		for (size_t i = 0; cfg && i < cfg->nsockets; i++) {
			const struct socket_config *s = &cfg->sockets[i];
			for (int k = 0; k < s->nlisten; k++) {
				uint32_t q[2];
				int fd = sockets_fd(&s->listen[k]);
				if (fd < 0 || sockstat_listen_queue(fd, s->listen[k].kind, &q[0], &q[1]) < 0)
					continue;
				char addr[SOCKETS_ADDR_STRLEN];
				sockets_format(&s->listen[k], addr, sizeof addr);
				char *labels = NULL;
				size_t llen;
				FILE *lf = open_memstream(&labels, &llen);
				if (!lf)
					continue;
				promtext_label(lf, "socket", s->name);
				fputc(',', lf);
				promtext_label(lf, "address", addr);
				if (fclose(lf) == 0)
					promtext_sample(w, labels, NULL, NULL, q[f], 0);
				free(labels);
			}
		}
	}
}

/* ---- corrald itself ---- */

/* When corrald started (seconds since the epoch), from /proc: its start
 * after boot and the boot's time, so that it holds across a reexec (the
 * same process). Read once; 0 when unknown. */
static int64_t start_time(void)
{
	static int64_t when = -1;
	if (when >= 0)
		return when;
	when = 0;
	char text[4096];
	long hz = sysconf(_SC_CLK_TCK);
	int64_t ticks = io_read_text("/proc/self/stat", text, sizeof text) > 0
				? procfs_start_ticks(text) : -1;
	FILE *f = fopen("/proc/stat", "re");
	long long btime = -1;
	while (f && fgets(text, sizeof text, f))
		if (sscanf(text, "btime %lld", &btime) == 1)
			break;
	if (f)
		fclose(f);
	if (ticks >= 0 && btime > 0 && hz > 0)
		when = btime + ticks / hz;
	return when;
}

/* Descriptors open in corrald now: the size of /proc/self/fd (Linux 6.2
 * and later say how many it holds), else its entries counted. */
static long open_fds(void)
{
	struct stat st;
	if (stat("/proc/self/fd", &st) == 0 && st.st_size > 0)
		return (long)st.st_size;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	long n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own */
}

static void write_self(struct promtext *w, long fds)
{
	promtext_family(w, "corral_build", PROMTEXT_INFO, "corrald's version.");
	promtext_sample(w, NULL, "version", CORRAL_VERSION, 1, 0);
	int64_t start = start_time();
	if (start > 0) {
		promtext_family(w, "corral_start_time_seconds", PROMTEXT_GAUGE,
				"When corrald started, in seconds since the Unix epoch.");
		promtext_sample(w, NULL, NULL, NULL, start, 0);
	}
	char text[256];
	long page = sysconf(_SC_PAGESIZE);
	int64_t pages = io_read_text("/proc/self/statm", text, sizeof text) > 0
				? procfs_resident_pages(text) : -1;
	if (pages >= 0 && page > 0) {
		promtext_family(w, "corral_resident_memory_bytes", PROMTEXT_GAUGE,
				"corrald's resident memory.");
		promtext_sample(w, NULL, NULL, NULL, pages * page, 0);
	}
	if (fds >= 0) {
		promtext_family(w, "corral_open_fds", PROMTEXT_GAUGE,
				"Descriptors open in corrald.");
		promtext_sample(w, NULL, NULL, NULL, fds, 0);
	}
	promtext_family(w, "corral_loop_iterations", PROMTEXT_COUNTER,
			"Turns of corrald's event loop.");
	promtext_sample(w, NULL, NULL, NULL, (int64_t)loop_turns(), 0);
	promtext_family(w, "corral_api_event_subscribers", PROMTEXT_GAUGE,
			"Clients following the JSON API's event stream (GET /api/v1/events).");
	promtext_sample(w, NULL, NULL, NULL, apievents_subscribers(), 0);
	promtext_family(w, "corral_api_event_subscribers_dropped", PROMTEXT_COUNTER,
			"Event stream clients dropped for falling behind.");
	promtext_sample(w, NULL, NULL, NULL, (int64_t)apievents_dropped(), 0);
}

int metrics_render(bool openmetrics, char **out, size_t *len)
{
	/* First, before this scrape opens any of its own. */
	long fds = open_fds();
	struct row *rows = NULL;
	char *arena = NULL;
	struct pool_figures *pools = NULL;
	long nrows = read_processes(&rows, &arena);
	long npools = nrows < 0 ? -1 : pool_figures(&pools);
	*out = NULL;
	*len = 0;
	FILE *f = nrows < 0 || npools < 0 ? NULL : open_memstream(out, len);
	int r = -ENOMEM;
	if (f) {
		struct promtext w;
		promtext_init(&w, f, openmetrics);
		write_processes(&w, rows, (size_t)nrows, arena);
		write_pools(&w, pools, npools);
		write_sockets(&w);
		write_self(&w, fds);
		promtext_end(&w);
		bool bad = ferror(f);
		if (fclose(f) == 0 && !bad)
			r = 0;
		if (r < 0) {
			free(*out);
			*out = NULL;
			*len = 0;
		}
	}
	free(rows);
	free(arena);
	free(pools);
	return r;
}

int metrics_append(struct proto_buf *b, bool openmetrics)
{
	char *text;
	size_t len;
	int r = metrics_render(openmetrics, &text, &len);
	if (r == 0) {
		r = proto_buf_append(b, text, len);
		free(text);
	}
	if (r < 0)
		log_err("corralctl metrics: %s", strerror(-r));
	return r;
}

/* ---- GET /metrics ---- */

static void metrics_serve(struct http_conn *c, const struct http_request *rq, void *ctx)
{
	bool om = promtext_wants_openmetrics(httpreq_header(rq, "accept"));
	char *text;
	size_t len;
	if (metrics_render(om, &text, &len) < 0) {
		log_err("GET /metrics: out of memory");
		http_respond_error(c, 500);
		return;
	}
	http_respond(c, 200, om ? PROMTEXT_TYPE_OPENMETRICS : PROMTEXT_TYPE_004, text, len);
	free(text);
}

static const char *const metrics_headers[] = { "accept", NULL };

static const struct http_route metrics_route = {
	.path = "/metrics", .flags = HTTP_ROUTE_QUERY, .methods = HTTPREQ_GET,
	.name = "Prometheus metrics", .headers = metrics_headers, .fn = metrics_serve,
};

int metrics_init(void)
{
	return http_route_add(&metrics_route);
}
