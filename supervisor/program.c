#include "supervisor/program.h"

/* After SIGKILL a process normally dies at once; one stuck in the kernel
 * (D state) is killed again after this long, so the wait stays bounded and
 * the log says why. */
#define KILL_REPEAT_MS 5000
#define BACKOFF_CAP_MS 60000

static const char *const state_names[] = {
	[PSTATE_STOPPED] = "STOPPED", [PSTATE_STARTING] = "STARTING",
	[PSTATE_RUNNING] = "RUNNING", [PSTATE_BACKOFF] = "BACKOFF",
	[PSTATE_STOPPING] = "STOPPING", [PSTATE_EXITED] = "EXITED",
	[PSTATE_FATAL] = "FATAL", [PSTATE_UNKNOWN] = "UNKNOWN",
};

const char *program_state_name(enum pstate s)
{
	if ((unsigned)s >= sizeof state_names / sizeof state_names[0])
		return "UNKNOWN";
	return state_names[s];
}

bool program_state_alive(enum pstate s)
{
	return s == PSTATE_STARTING || s == PSTATE_RUNNING || s == PSTATE_STOPPING;
}

bool program_down(const struct pmachine *m)
{
	return m->state == PSTATE_STOPPED || m->state == PSTATE_FATAL ||
	       (m->state == PSTATE_EXITED && !m->restart_due);
}

void program_init(struct pmachine *m)
{
	m->state = PSTATE_STOPPED;
	m->retries = 0;
	m->restart_due = false;
	m->killing = PFAIL_NONE;
	m->last = PFAIL_NONE;
}

/* notify, fd:N, health and log: STARTING lasts until the process says so. */
static bool says_ready(const struct program_config *cfg)
{
	return cfg->ready == READY_NOTIFY || cfg->ready == READY_FD || cfg->ready == READY_HEALTH ||
	       cfg->ready == READY_LOG;
}

/* RUNNING: arm the watchdog, if any; else no deadline. */
static void running(struct pmachine *m, const struct program_config *cfg, struct poutput *out)
{
	m->state = PSTATE_RUNNING;
	if (cfg->watchdog_sec > 0) {
		out->actions |= PACT_TIMER;
		out->actions &= ~(unsigned)PACT_TIMER_STOP;
		out->timer_ms = (int64_t)cfg->watchdog_sec * 1000;
	} else {
		out->actions |= PACT_TIMER_STOP;
	}
}

/* Kill the process ourselves (its tree); its exit says what follows. */
static void kill_for(struct pmachine *m, enum pfailure why, struct poutput *out)
{
	m->killing = why;
	m->last = why;
	out->actions |= PACT_KILL | PACT_TIMER;
	out->timer_ms = KILL_REPEAT_MS;
}

int64_t program_backoff_ms(int retries)
{
	if (retries <= 1)
		return 1000;
	if (retries > 7)
		return BACKOFF_CAP_MS;
	int64_t ms = 1000LL << (retries - 1);
	return ms > BACKOFF_CAP_MS ? BACKOFF_CAP_MS : ms;
}

/* supervisord's rule: only startsecs makes an early exit a failed start.
 * With startsecs = 0 a process is RUNNING from its spawn, so a one-shot
 * command ends EXITED, as under supervisord, and never FATAL; what keeps
 * one that exits at once from looping hot is PROGRAM_RESTART_MIN_MS. */
int64_t program_start_window_ms(const struct program_config *cfg)
{
	if (says_ready(cfg))
		return 0; /* readiness, not time, tells a good start */
	return cfg->ready == READY_STARTSECS ? (int64_t)cfg->startsecs * 1000 : 0;
}

enum pexit program_exit_kind(const struct pmachine *m, const struct program_config *cfg,
			     const struct pinput *in)
{
	switch (m->state) {
	case PSTATE_STOPPING:
		return PEXIT_STOPPED;
	case PSTATE_STARTING:
		/* Before it is ready (inside startsecs, or before it said so),
		 * or killed for not being ready: whatever the code. */
		if (m->killing || says_ready(cfg) || in->spawn_error ||
		    in->uptime_ms < program_start_window_ms(cfg))
			return PEXIT_FAILED_START;
		break;
	case PSTATE_RUNNING:
		/* With startsecs = 0, a child that failed before exec is
		 * RUNNING when its report comes: a spawn error all the same. */
		if (in->spawn_error)
			return PEXIT_FAILED_START;
		break;
	case PSTATE_STOPPED:
	case PSTATE_BACKOFF:
	case PSTATE_EXITED:
	case PSTATE_FATAL:
	case PSTATE_UNKNOWN:
		return PEXIT_NONE;
	}
	return in->expected ? PEXIT_EXPECTED : PEXIT_UNEXPECTED;
}

static void spawn(struct pmachine *m, const struct program_config *cfg, struct poutput *out)
{
	m->state = PSTATE_STARTING;
	m->killing = PFAIL_NONE;
	m->restart_due = false;
	out->actions |= PACT_SPAWN;
	if (says_ready(cfg)) {
		if (cfg->start_timeout > 0) {
			out->actions |= PACT_TIMER;
			out->timer_ms = (int64_t)cfg->start_timeout * 1000;
		} else {
			out->actions |= PACT_TIMER_STOP;
		}
	} else if (cfg->ready == READY_STARTSECS && cfg->startsecs > 0) {
		out->actions |= PACT_TIMER;
		out->timer_ms = (int64_t)cfg->startsecs * 1000;
	} else {
		running(m, cfg, out);
	}
}

static void failed_start(struct pmachine *m, const struct program_config *cfg,
			 struct poutput *out)
{
	m->retries++;
	if (m->retries > cfg->startretries) {
		m->state = PSTATE_FATAL;
		out->actions |= PACT_TIMER_STOP;
		return;
	}
	m->state = PSTATE_BACKOFF;
	out->actions |= PACT_TIMER;
	out->timer_ms = program_backoff_ms(m->retries);
}

static void stop(struct pmachine *m, const struct program_config *cfg, struct poutput *out)
{
	m->state = PSTATE_STOPPING;
	out->actions |= PACT_STOPSIGNAL | PACT_TIMER;
	out->timer_ms = (int64_t)cfg->stopwaitsecs * 1000;
}

static bool wants_restart(const struct program_config *cfg, const struct pinput *in)
{
	switch (cfg->autorestart) {
	case AUTORESTART_TRUE:
		return true;
	case AUTORESTART_UNEXPECTED:
		return !in->expected;
	case AUTORESTART_FALSE:
		break;
	}
	return false;
}

/* The exit of a process that had started (RUNNING, or STARTING past its
 * startsecs): EXITED, then autorestart. */
static void exited(struct pmachine *m, const struct program_config *cfg,
		   const struct pinput *in, struct poutput *out)
{
	if (m->killing == PFAIL_WATCHDOG || m->killing == PFAIL_POOL_KILL) {
		/* Hung (or its pool killed it): its tree was killed; it starts
		 * again, whatever autorestart says. */
		m->killing = PFAIL_NONE;
		m->retries = 0;
		spawn(m, cfg, out);
		return;
	}
	if (in->spawn_error) {
		failed_start(m, cfg, out);
		return;
	}
	/* Killed for failing its health check: restarted whatever autorestart
	 * says, as any restart (at most once a second). */
	bool unhealthy = m->killing == PFAIL_UNHEALTHY;
	m->killing = PFAIL_NONE;
	/* It started: the next failure starts a fresh backoff series. */
	m->retries = 0;
	m->state = PSTATE_EXITED;
	if (!unhealthy && !wants_restart(cfg, in)) {
		out->actions |= PACT_TIMER_STOP;
		return;
	}
	if (in->uptime_ms >= PROGRAM_RESTART_MIN_MS) {
		spawn(m, cfg, out);
		return;
	}
	/* It stays EXITED a moment, as under supervisord, then starts again. */
	m->restart_due = true;
	out->actions |= PACT_TIMER;
	out->timer_ms = PROGRAM_RESTART_MIN_MS - (in->uptime_ms > 0 ? in->uptime_ms : 0);
}

void program_step(struct pmachine *m, const struct program_config *cfg,
		  const struct pinput *in, struct poutput *out)
{
	enum pstate before = m->state;
	out->actions = 0;
	out->timer_ms = 0;

	switch (m->state) {
	case PSTATE_STOPPED:
	case PSTATE_EXITED:
	case PSTATE_FATAL:
	case PSTATE_UNKNOWN:
		switch (in->event) {
		case PEV_START:
			m->retries = 0;
			spawn(m, cfg, out);
			break;
		case PEV_TIMER:      /* EXITED: its restart is due; else stale */
			if (m->restart_due)
				spawn(m, cfg, out);
			break;
		case PEV_STOP:       /* already down; with a restart due, no restart after all */
			if (m->restart_due) {
				m->restart_due = false;
				m->state = PSTATE_STOPPED;
				out->actions |= PACT_TIMER_STOP;
			}
			break;
		case PEV_EXIT:       /* no process: stale */
		case PEV_SPAWN_FAILED:
		case PEV_READY:      /* from a process already gone */
		case PEV_WATCHDOG:
		case PEV_WATCHDOG_TRIGGER:
		case PEV_UNHEALTHY:
			break;
		}
		break;

	case PSTATE_STARTING:
		switch (in->event) {
		case PEV_START:      /* already on its way */
			break;
		case PEV_STOP:
			stop(m, cfg, out);
			break;
		case PEV_SPAWN_FAILED:
			failed_start(m, cfg, out);
			break;
		case PEV_EXIT:
			if (program_exit_kind(m, cfg, in) == PEXIT_FAILED_START) {
				m->killing = PFAIL_NONE;
				failed_start(m, cfg, out);
			} else { /* past startsecs, its deadline not yet seen */
				exited(m, cfg, in, out);
			}
			break;
		case PEV_TIMER:
			if (m->killing) {        /* still not dead: again */
				out->actions |= PACT_KILL | PACT_TIMER;
				out->timer_ms = KILL_REPEAT_MS;
			} else if (says_ready(cfg)) { /* start_timeout: not ready in time */
				kill_for(m, PFAIL_START_TIMEOUT, out);
			} else {                 /* alive for startsecs */
				m->retries = 0;
				running(m, cfg, out);
			}
			break;
		case PEV_READY:
			if (says_ready(cfg) && !m->killing) {
				m->retries = 0;
				running(m, cfg, out);
			}
			break;
		case PEV_WATCHDOG:
		case PEV_WATCHDOG_TRIGGER:
		case PEV_UNHEALTHY:
			break;
		}
		break;

	case PSTATE_RUNNING:
		switch (in->event) {
		case PEV_START:
		case PEV_READY:
			break;
		case PEV_TIMER:
			if (m->killing) {
				out->actions |= PACT_KILL | PACT_TIMER;
				out->timer_ms = KILL_REPEAT_MS;
			} else if (cfg->watchdog_sec > 0) { /* no ping in time: hung */
				kill_for(m, PFAIL_WATCHDOG, out);
			}
			break;
		case PEV_WATCHDOG:
			if (cfg->watchdog_sec > 0 && !m->killing) {
				out->actions |= PACT_TIMER;
				out->timer_ms = (int64_t)cfg->watchdog_sec * 1000;
			}
			break;
		case PEV_WATCHDOG_TRIGGER:
			if (!m->killing)
				kill_for(m, PFAIL_WATCHDOG, out);
			break;
		case PEV_UNHEALTHY:
			if (!m->killing)
				kill_for(m, PFAIL_UNHEALTHY, out);
			break;
		case PEV_STOP:
			stop(m, cfg, out);
			break;
		case PEV_SPAWN_FAILED:  /* only reachable with startsecs = 0 */
			failed_start(m, cfg, out);
			break;
		case PEV_EXIT:
			exited(m, cfg, in, out);
			break;
		}
		break;

	case PSTATE_BACKOFF:
		switch (in->event) {
		case PEV_START:         /* the user insists: try now, fresh count */
			m->retries = 0;
			spawn(m, cfg, out);
			break;
		case PEV_TIMER:
			spawn(m, cfg, out);
			break;
		case PEV_STOP:
			m->state = PSTATE_STOPPED;
			out->actions |= PACT_TIMER_STOP;
			break;
		case PEV_EXIT:
		case PEV_SPAWN_FAILED:
		case PEV_READY:
		case PEV_WATCHDOG:
		case PEV_WATCHDOG_TRIGGER:
		case PEV_UNHEALTHY:
			break;
		}
		break;

	case PSTATE_STOPPING:
		switch (in->event) {
		case PEV_START:         /* the caller restarts once STOPPED */
		case PEV_STOP:
		case PEV_SPAWN_FAILED:
		case PEV_READY:
		case PEV_WATCHDOG:
		case PEV_WATCHDOG_TRIGGER:
		case PEV_UNHEALTHY:
			break;
		case PEV_EXIT:
			m->killing = PFAIL_NONE;
			m->state = PSTATE_STOPPED;
			out->actions |= PACT_TIMER_STOP;
			break;
		case PEV_TIMER:         /* stopwaitsecs passed: no more asking */
			out->actions |= PACT_KILL | PACT_TIMER;
			out->timer_ms = KILL_REPEAT_MS;
			break;
		}
		break;
	}
	out->changed = m->state != before;
}
