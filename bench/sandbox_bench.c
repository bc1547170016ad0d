/* sandbox_bench — what the sandbox costs a spawn: the time from asking for
 * a worker to its exec, for a worker with no sandbox and for one with the
 * full sandbox (every namespace, a user, capabilities, a ~300-call seccomp
 * filter, mounts, limits), through corral's own spawner and config reader.
 *
 *   sandbox_bench [SPAWNS]            (run by `make bench`, as root)
 *
 * The exec is seen as the end of a close-on-exec pipe the child holds: the
 * parent reads end-of-file the moment exec succeeds. The filter is compiled
 * when the config is read, once, and that time is printed apart: a spawn
 * only installs it. Exit status, as bench/run.sh's: 0 when it ran (the
 * target, under 2 ms per spawn, met or not: the last line says), 2 when it
 * cannot run. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/config.h"
#include "supervisor/spawn.h"

#define TARGET_US 2000.0

static const char config[] =
	"[program:none]\n"
	"command = /bin/true\n"
	"no_new_privs = false\n"
	"\n"
	"[program:full]\n"
	"command = /bin/true\n"
	"user = nobody\n"
	"capabilities = CAP_NET_BIND_SERVICE\n"
	"seccomp = @system-service\n"
	"namespaces = pid net ipc uts mount user cgroup\n"
	"private_tmp = true\n"
	"read_only_paths = /usr /etc\n"
	"inaccessible_paths = -/root\n"
	"rlimit_nofile = 1024\n"
	"rlimit_core = 0\n"
	"\n"
	"[program:seccomp]\n"
	"command = /bin/true\n"
	"seccomp = @system-service\n"
	"\n"
	"[program:netns]\n"
	"command = /bin/true\n"
	"namespaces = net\n"
	"no_new_privs = false\n";

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One spawn of P: microseconds from the request to its exec, or -1. */
static double one(const struct program_config *p, int devnull)
{
	int seen[2];
	if (pipe2(seen, O_CLOEXEC) < 0)
		return -1;
	static char *const env[] = { "PATH=/usr/bin:/bin", NULL };
	struct spawn_request req = {
		.argv = p->argv,
		.envp = env,
		.umask = -1,
		.stdio = { devnull, devnull, devnull },
		.cgroup_fd = -1,
		.sandbox = &p->sandbox,
	};
	struct spawn_result res;
	double t0 = now_us();
	int r = spawn_process(&req, &res);
	close(seen[1]);
	if (r < 0) {
		close(seen[0]);
		fprintf(stderr, "sandbox_bench: %s: spawn: %s\n", p->name, strerror(-r));
		return -1;
	}
	char c;
	while (read(seen[0], &c, 1) < 0 && errno == EINTR)
		;
	double t1 = now_us();
	close(seen[0]);
	siginfo_t si;
	waitid(P_PIDFD, (id_t)res.pidfd, &si, WEXITED);
	close(res.pidfd);
	struct spawn_report rep;
	if (spawn_next_report(&rep) > 0) {
		char msg[512];
		spawn_describe(&rep, NULL, p->argv[0], &p->sandbox, msg, sizeof msg);
		fprintf(stderr, "sandbox_bench: %s: %s\n", p->name, msg);
		return -1;
	}
	return t1 - t0;
}

struct stats {
	double median, p90;
};

static struct stats summarize(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return (struct stats){ v[n / 2], v[(n * 9) / 10] };
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	if (n < 10)
		n = 10;
	if (geteuid() != 0) {
		fprintf(stderr, "sandbox_bench: needs root (namespaces, another user)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct corral_config cfg;
	struct config_errors errs = { 0 };
	double t0 = now_us();
	if (config_load_string("sandbox_bench.conf", config, &cfg, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "sandbox_bench: %s\n", errs.msgs[i]);
		return 2;
	}
	double load_us = now_us() - t0;
	config_errors_free(&errs);
	const struct program_config *prog[4] = { NULL };
	const char *names[4] = { "none", "full", "seccomp", "netns" };
	for (size_t i = 0; i < cfg.nprograms; i++)
		for (int k = 0; k < 4; k++)
			if (strcmp(cfg.programs[i].name, names[k]) == 0)
				prog[k] = &cfg.programs[i];
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0 || spawn_init() < 0) {
		fprintf(stderr, "sandbox_bench: setup: %s\n", strerror(errno));
		return 2;
	}
	double *t[4];
	for (int k = 0; k < 4; k++)
		t[k] = calloc((size_t)n, sizeof *t[k]);
	/* interleaved, so that drift in the machine hits every kind alike */
	for (int i = 0; i < n; i++)
		for (int k = 0; k < 4; k++)
			if (!t[k] || (t[k][i] = one(prog[k], devnull)) < 0)
				return 2;
	struct stats s[4];
	for (int k = 0; k < 4; k++)
		s[k] = summarize(t[k], n);
	const struct filter *f = &prog[1]->sandbox.filter;
	size_t calls = 0;
	free(filter_list_format(f, &calls));
	double cost = s[1].median - s[0].median;
	printf("sandbox: request to exec, %d spawns each, median (90th percentile), microseconds\n", n);
	printf("  %-52s %8.0f (%6.0f)\n", "no sandbox", s[0].median, s[0].p90);
	printf("  %-52s %8.0f (%6.0f)\n", "seccomp @system-service only", s[2].median, s[2].p90);
	printf("  %-52s %8.0f (%6.0f)\n", "net namespace only", s[3].median, s[3].p90);
	char label[96];
	snprintf(label, sizeof label, "full: 7 namespaces, nobody, caps, %zu calls, mounts", calls);
	printf("  %-52s %8.0f (%6.0f)\n", label, s[1].median, s[1].p90);
	printf("  the full sandbox costs %.0f us per spawn (target: under %.0f): %s\n", cost,
	       TARGET_US, cost < TARGET_US ? "met" : "MISSED");
	printf("  config load with the filters compiled (once per load, not per spawn): %.0f us "
	       "(%u BPF instructions installed per spawn)\n", load_us,
	       (unsigned)(f->progs[0].len + (f->nprogs > 1 ? f->progs[1].len : 0)));
	for (int k = 0; k < 4; k++)
		free(t[k]);
	spawn_fini();
	config_free(&cfg);
	close(devnull);
	return 0;
}
