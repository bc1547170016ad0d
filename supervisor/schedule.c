/* schedule — programs started by their schedule (schedule.h). */
#include "supervisor/schedule.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "supervisor/cron.h"
#include "supervisor/eventproto.h"
#include "supervisor/events.h"
#include "supervisor/handover.h"
#include "supervisor/hooks.h"
#include "supervisor/log.h"
#include "supervisor/loop.h"
#include "supervisor/state.h"
#include "supervisor/supervisor.h"

/* One scheduled program; heap, freed with its program (the deadlines in
 * it are in the loop's heap meanwhile, so it never moves). */
struct sched {
	struct program *prog;
	struct cron cron;
	struct deadline trigger;        /* the next trigger */
	struct deadline limit;          /* schedule_timeout of the run in flight */
	int64_t next_wall;              /* CRON_FIELDS: time() of the next trigger, 0: none */
	int64_t every_due_ms;           /* CRON_EVERY: loop_now_ms() of the next one */
	int64_t last_wall;              /* time() its last run started, 0: never */
	int last_status;                /* of its last run, -1: none or running */
	bool in_run;                    /* a run goes on */
	bool timed_out;                 /* ... and schedule_timeout stopped it */
	bool retired;                   /* a reload retires its program */
	uint64_t skipped, runs;
};

static struct {
	struct sched **v;               /* heap, n of cap */
	size_t n, cap;
	bool started;                   /* corrald's programs exist: triggers are armed */
	bool stopping;                  /* shutdown: nothing more starts */
	int clock_fd;                   /* timerfd that hears the clock being set, -1: none */
	bool clock_failed;              /* ... could not be made: not tried again */
	struct watch clock_watch;
} S = { .clock_fd = -1 };

static struct sched *find(const struct program *prog)
{
	for (size_t i = 0; i < S.n; i++)
		if (S.v[i]->prog == prog)
			return S.v[i];
	return NULL;
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts); /* the vDSO's: no system call */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct process *proc_of(const struct sched *e)
{
	return e->prog->nprocs > 0 ? e->prog->procs[0] : NULL;
}

/* The trigger after AFTER in the program's zone: local time, UTC, or a
 * zone of the tz database, which TZ is switched to for the computation
 * (corrald is one thread: nothing else reads the time meanwhile). */
static int64_t next_after(const struct sched *e, int64_t after)
{
	const char *tz = e->prog->cfg->schedule_tz;
	if (!tz)
		return cron_next(&e->cron, after, false);
	if (strcmp(tz, "UTC") == 0)
		return cron_next(&e->cron, after, true);
	const char *was = getenv("TZ");
	char *old = was ? strdup(was) : NULL;
	if (was && !old) {
		log_err("%s: schedule_tz %s: out of memory", e->prog->cfg->name, tz);
		return -1;
	}
	int64_t t = -1;
	if (setenv("TZ", tz, 1) < 0) {
		log_err("%s: schedule_tz %s: setenv: %m", e->prog->cfg->name, tz);
	} else {
		tzset();
		t = cron_next(&e->cron, after, false);
	}
	if (old ? setenv("TZ", old, 1) : unsetenv("TZ"))
		log_err("%s: schedule_tz: TZ back to %s: %m", e->prog->cfg->name, old ? old : "unset");
	tzset();
	free(old);
	return t;
}

static void set_timer(struct sched *e, int64_t when)
{
	if (loop_timer_set(&e->trigger, when) < 0)
		log_err("%s: schedule: out of memory arming its trigger: it will not run",
			e->prog->cfg->name);
}

/* The monotonic deadline for the wall-clock time next_wall, as the clock
 * reads now. */
static void arm_wall(struct sched *e)
{
	int64_t delay = e->next_wall * 1000 - wall_ms();
	set_timer(e, loop_now_ms() + (delay > 0 ? delay : 0));
}

/* The next trigger of E's fields after AFTER (time()), armed. */
static void arm_fields(struct sched *e, int64_t after)
{
	int64_t t = next_after(e, after);
	e->next_wall = t > 0 ? t : 0;
	if (t <= 0) {
		loop_timer_cancel(&e->trigger);
		log_warn("%s: schedule %s: no trigger within eight years", e->prog->cfg->name,
			 e->prog->cfg->schedule);
		return;
	}
	arm_wall(e);
}

static bool may_run(const struct sched *e)
{
	return S.started && !S.stopping && !e->prog->retiring && !supervisor_shutting_down();
}

/* A trigger: start its process unless its previous run is still going. */
static void run(struct sched *e)
{
	struct process *p = proc_of(e);
	if (!p || !may_run(e))
		return;
	if (state_disabled(e->prog->cfg->name)) {
		log_info("%s: schedule: disabled (corralctl enable %s), not started", p->name,
			 e->prog->cfg->name);
		return;
	}
	if (!program_down(&p->fsm) || p->draining) {
		char extra[64];
		e->skipped++;
		log_warn("%s: schedule: its run of %" PRId64 " s ago is still going (%s): this "
			 "trigger is skipped (%" PRIu64 " so far)", p->name,
			 e->last_wall ? wall_ms() / 1000 - e->last_wall : 0,
			 program_state_name(p->fsm.state), e->skipped);
		snprintf(extra, sizeof extra, "skipped:%" PRIu64, e->skipped);
		events_process_note(EV_PROCESS_SCHEDULE_SKIPPED, p, extra);
		return;
	}
	log_info("%s: schedule: starting it (%s)", p->name, e->prog->cfg->schedule);
	supervisor_start(p);
}

static void trigger_due(struct deadline *d)
{
	struct sched *e = d->ctx;
	switch (e->cron.kind) {
	case CRON_FIELDS: {
		int64_t now = wall_ms();
		if (now < e->next_wall * 1000) {
			/* early: the clock was set back since it was armed */
			arm_wall(e);
			return;
		}
		run(e);
		/* from now: after a jump forward a missed trigger runs once */
		arm_fields(e, now / 1000);
		break;
	}
	case CRON_EVERY: {
		run(e);
		int64_t now = loop_now_ms(), every = e->cron.every_s * 1000;
		e->every_due_ms += every;
		if (e->every_due_ms <= now)
			e->every_due_ms = now + every;
		set_timer(e, e->every_due_ms);
		break;
	}
	case CRON_REBOOT:
		run(e);
		break;
	}
}

/* schedule_timeout: stop the run, and SIGKILL its main process so that
 * its scope is emptied now (killmode = group) rather than after
 * stopwaitsecs. */
static void limit_due(struct deadline *d)
{
	struct sched *e = d->ctx;
	struct process *p = proc_of(e);
	if (!p || !e->in_run || !program_state_alive(p->fsm.state))
		return;
	char extra[64];
	e->timed_out = true;
	log_warn("%s: schedule_timeout: its run went over %d s: killing its tree", p->name,
		 e->prog->cfg->schedule_timeout);
	snprintf(extra, sizeof extra, "schedule_timeout:%d", e->prog->cfg->schedule_timeout);
	events_process_note(EV_PROCESS_SCHEDULE_TIMEOUT, p, extra);
	supervisor_stop(p);
	int r = supervisor_signal(p, SIGKILL);
	if (r < 0 && r != -ESRCH)
		log_warn("%s: schedule_timeout: kill: %s", p->name, strerror(-r));
}

static void clock_open(void);

/* Arm E's first trigger (start-up, or a reload that added it). */
static void start_entry(struct sched *e, bool boot)
{
	switch (e->cron.kind) {
	case CRON_FIELDS:
		clock_open(); /* the first wall-clock schedule: hear the clock being set */
		arm_fields(e, wall_ms() / 1000);
		break;
	case CRON_EVERY:
		e->every_due_ms = loop_now_ms() + e->cron.every_s * 1000;
		set_timer(e, e->every_due_ms);
		break;
	case CRON_REBOOT:
		if (boot)
			set_timer(e, loop_now_ms()); /* from the loop, once it runs */
		break;
	}
}

/* ---- the clock being set ---- */

static int clock_arm(void)
{
	/* far ahead: it never fires, it is cancelled when the clock is set */
	struct itimerspec its = { .it_value = { .tv_sec = time(NULL) + 100LL * 366 * 86400 } };
	if (timerfd_settime(S.clock_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) < 0)
		return -errno;
	return 0;
}

static void clock_set(struct watch *w, uint32_t events)
{
	(void)w;
	(void)events;
	uint64_t n;
	if (read(S.clock_fd, &n, sizeof n) < 0 && errno != ECANCELED && errno != EAGAIN)
		log_warn("schedule: reading its clock timerfd: %m");
	int r = clock_arm();
	if (r < 0)
		log_warn("schedule: re-arming its clock timerfd: %s", strerror(-r));
	log_info("schedule: the clock was set: the next triggers are armed again");
	int64_t now = wall_ms();
	for (size_t i = 0; i < S.n; i++) {
		struct sched *e = S.v[i];
		if (e->cron.kind != CRON_FIELDS || !loop_timer_pending(&e->trigger))
			continue;
		/* set forward past it: once, now; set back: the same trigger,
		 * later by the clock, so that none runs twice */
		if (now >= e->next_wall * 1000)
			set_timer(e, loop_now_ms());
		else
			arm_wall(e);
	}
}

static void clock_open(void)
{
	int r;
	if (S.clock_fd >= 0 || S.clock_failed)
		return;
	S.clock_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (S.clock_fd < 0) {
		log_warn("schedule: timerfd_create: %m (clock changes are noticed at the "
			 "next trigger only)");
		return;
	}
	loop_watch_init(&S.clock_watch, clock_set, NULL);
	if ((r = clock_arm()) < 0 || (r = loop_watch(S.clock_fd, EPOLLIN, &S.clock_watch)) < 0) {
		log_warn("schedule: clock timerfd: %s (clock changes are noticed at the next "
			 "trigger only)", strerror(-r));
		close(S.clock_fd);
		S.clock_fd = -1;
	}
	S.clock_failed = S.clock_fd < 0; /* said once */
}

static void clock_close(void)
{
	if (S.clock_fd < 0)
		return;
	loop_unwatch(&S.clock_watch);
	close(S.clock_fd);
	S.clock_fd = -1;
}

/* ---- the core's hooks ---- */

static int sched_program_new(struct program *prog)
{
	if (!prog->cfg->schedule || prog->transient)
		return 0;
	struct cron c;
	char err[200];
	if (cron_parse(prog->cfg->schedule, &c, err, sizeof err) < 0) {
		/* the config reader refused it already: cannot happen */
		log_err("%s: schedule: %s", prog->cfg->name, err);
		return 0;
	}
	if (S.n == S.cap) {
		size_t cap = S.cap ? S.cap * 2 : 8;
		struct sched **v = realloc(S.v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		S.v = v;
		S.cap = cap;
	}
	struct sched *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->prog = prog;
	e->cron = c;
	e->last_status = -1;
	loop_timer_init(&e->trigger, trigger_due, e);
	loop_timer_init(&e->limit, limit_due, e);
	S.v[S.n++] = e; /* owned by S.v until its program is freed */
	if (S.started && !S.stopping)
		start_entry(e, false);
	return 0;
}

static void sched_program_free(struct program *prog)
{
	for (size_t i = 0; i < S.n; i++) {
		struct sched *e = S.v[i];
		if (e->prog != prog)
			continue;
		loop_timer_cancel(&e->trigger);
		loop_timer_cancel(&e->limit);
		free(e);
		S.v[i] = S.v[--S.n];
		return;
	}
}

static void sched_group(const struct program *prog, bool added)
{
	struct sched *e = find(prog);
	if (!e)
		return;
	if (!added) {
		loop_timer_cancel(&e->trigger); /* retiring: no more triggers */
		e->retired = true;
		return;
	}
	/* a reload's new generation goes on from the old one's figures (the
	 * old one is retired just before: reload.c) */
	for (size_t i = 0; i < S.n; i++) {
		const struct sched *o = S.v[i];
		if (o != e && o->retired && strcmp(o->prog->cfg->name, prog->cfg->name) == 0) {
			e->last_wall = o->last_wall;
			e->last_status = o->last_status;
			e->skipped = o->skipped;
			e->runs = o->runs;
		}
	}
}

static void sched_started(void)
{
	S.started = true;
	/* @reboot: when corrald starts, not when it execs itself */
	bool boot = !handover_active();
	for (size_t i = 0; i < S.n; i++)
		start_entry(S.v[i], boot);
}

static void sched_stopping(void)
{
	S.stopping = true;
	for (size_t i = 0; i < S.n; i++)
		loop_timer_cancel(&S.v[i]->trigger);
	clock_close();
}

/* A run's status as a shell would give it. */
static int run_status(const struct sched *e, const struct process *p)
{
	if (e->timed_out)
		return 124; /* as timeout(1) */
	if (p->spawnerr)
		return 127;
	if (p->exitsig)
		return 128 + p->exitsig;
	return p->exitcode >= 0 ? p->exitcode : 1;
}

static void sched_process_state(struct process *p, enum pstate before, enum pstate after,
				const struct pinput *in, bool spawned)
{
	(void)before;
	(void)after;
	(void)in;
	struct sched *e = find(p->prog);
	if (!e)
		return;
	/* a start by hand is a run too: the same timeout, the same figures */
	if (spawned && !e->in_run) {
		e->in_run = true;
		e->timed_out = false;
		e->last_wall = wall_ms() / 1000; /* not time(): the coarse clock lags */
		e->last_status = -1;
		e->runs++;
		if (p->prog->cfg->schedule_timeout > 0 &&
		    loop_timer_set(&e->limit, loop_now_ms() +
					      (int64_t)p->prog->cfg->schedule_timeout * 1000) < 0)
			log_err("%s: schedule_timeout: out of memory arming it", p->name);
	}
	if (e->in_run && program_down(&p->fsm)) {
		e->in_run = false;
		loop_timer_cancel(&e->limit);
		e->last_status = run_status(e, p);
		log_info("%s: schedule: its run ended with status %d", p->name, e->last_status);
	}
}

/* ---- across an exec of corrald ---- */

static int sched_handover(struct handover *h, char *why, size_t whylen)
{
	for (size_t i = 0; i < S.n; i++) {
		const struct sched *e = S.v[i];
		if (e->prog->retiring)
			continue;
		struct handover_out o = { 0 };
		handover_put_i64(&o, e->last_wall);
		handover_put_i32(&o, e->last_status);
		handover_put_u64(&o, e->skipped);
		handover_put_u64(&o, e->runs);
		handover_put_bool(&o, e->in_run);
		handover_put_bool(&o, e->timed_out);
		if (handover_add_part(h, "schedule", e->prog->cfg->name, &o) < 0) {
			snprintf(why, whylen, "out of memory for the schedule of %s",
				 e->prog->cfg->name);
			return -1;
		}
	}
	return 0;
}

static void sched_taken_over(void)
{
	for (size_t i = 0; i < S.n; i++) {
		struct sched *e = S.v[i];
		struct process *p = proc_of(e);
		const struct handover_part *part = handover_find_part("schedule", e->prog->cfg->name);
		if (!part || !p)
			continue;
		struct handover_in in = { part->data, part->data + part->len, false };
		int64_t last = handover_get_i64(&in);
		int32_t status = handover_get_i32(&in);
		uint64_t skipped = handover_get_u64(&in), runs = handover_get_u64(&in);
		bool in_run = handover_get_bool(&in), timed_out = handover_get_bool(&in);
		if (in.bad) {
			log_warn("%s: schedule: its figures did not come across the exec", p->name);
			continue;
		}
		e->last_wall = last;
		e->last_status = status;
		e->skipped = skipped;
		e->runs = runs;
		e->timed_out = timed_out;
		e->in_run = in_run && program_state_alive(p->fsm.state);
		if (in_run && !e->in_run)
			e->last_status = run_status(e, p); /* it ended during the exec */
		loop_timer_cancel(&e->limit);
		int timeout = e->prog->cfg->schedule_timeout;
		if (e->in_run && timeout > 0 && !timed_out) {
			/* what is left of its time, by the wall clock it started by */
			int64_t left = (e->last_wall + timeout) * 1000 - wall_ms();
			if (loop_timer_set(&e->limit, loop_now_ms() + (left > 0 ? left : 0)) < 0)
				log_err("%s: schedule_timeout: out of memory arming it", p->name);
		}
	}
}

static void sched_free_all(void)
{
	clock_close();
	for (size_t i = 0; i < S.n; i++)
		free(S.v[i]);
	free(S.v);
	S.v = NULL;
	S.n = S.cap = 0;
}

static const struct hooks sched_hooks = {
	.on_program_new = sched_program_new,
	.on_program_free = sched_program_free,
	.on_group = sched_group,
	.on_started = sched_started,
	.on_stopping = sched_stopping,
	.on_process_state = sched_process_state,
	.on_handover = sched_handover,
	.on_taken_over = sched_taken_over,
	.on_free_all = sched_free_all,
};

int schedule_init(void)
{
	tzset(); /* local time as TZ says, once */
	return hooks_subscribe(&sched_hooks);
}

/* ---- status ---- */

bool schedule_info(const struct program *prog, struct schedule_info *info)
{
	const struct sched *e = find(prog);
	if (!e)
		return false;
	*info = (struct schedule_info){
		.expr = prog->cfg->schedule,
		.last_run = e->last_wall,
		.last_status = e->in_run ? -1 : e->last_status,
		.skipped = e->skipped,
		.runs = e->runs,
	};
	if (e->cron.kind == CRON_FIELDS && loop_timer_pending(&e->trigger))
		info->next_run = e->next_wall;
	else if (e->cron.kind == CRON_EVERY && loop_timer_pending(&e->trigger))
		info->next_run = (wall_ms() + (e->every_due_ms - loop_now_ms()) + 999) / 1000;
	return true;
}
