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

void program_init(struct pmachine *m)
{
	m->state = PSTATE_STOPPED;
	m->retries = 0;
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

/* A process that dies this soon after spawn has not really started, even
 * when startsecs = 0: counting it keeps startretries meaningful, so a
 * command that fails at once ends FATAL instead of looping forever. */
int64_t program_start_window_ms(const struct program_config *cfg)
{
	return cfg->startsecs > 0 ? (int64_t)cfg->startsecs * 1000 : 1000;
}

static void spawn(struct pmachine *m, const struct program_config *cfg, struct poutput *out)
{
	m->state = PSTATE_STARTING;
	out->actions |= PACT_SPAWN;
	if (cfg->startsecs > 0) {
		out->actions |= PACT_TIMER;
		out->timer_ms = (int64_t)cfg->startsecs * 1000;
	} else {
		m->state = PSTATE_RUNNING;
		out->actions |= PACT_TIMER_STOP;
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

static void exited(struct pmachine *m, const struct program_config *cfg,
		   const struct pinput *in, struct poutput *out)
{
	if (in->spawn_error || in->uptime_ms < program_start_window_ms(cfg)) {
		failed_start(m, cfg, out);
		return;
	}
	/* It stayed up: the next failure starts a fresh backoff series. */
	m->retries = 0;
	m->state = PSTATE_EXITED;
	out->actions |= PACT_TIMER_STOP;
	if (wants_restart(cfg, in))
		spawn(m, cfg, out);
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
		case PEV_STOP:       /* already down */
		case PEV_EXIT:       /* no process: stale */
		case PEV_TIMER:      /* no deadline here: stale */
		case PEV_SPAWN_FAILED:
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
			/* An exit inside startsecs is a failed start whatever the code. */
			if (in->spawn_error || in->uptime_ms < program_start_window_ms(cfg))
				failed_start(m, cfg, out);
			else
				exited(m, cfg, in, out);
			break;
		case PEV_TIMER:      /* alive for startsecs */
			m->state = PSTATE_RUNNING;
			m->retries = 0;
			break;
		}
		break;

	case PSTATE_RUNNING:
		switch (in->event) {
		case PEV_START:
		case PEV_TIMER:
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
			break;
		}
		break;

	case PSTATE_STOPPING:
		switch (in->event) {
		case PEV_START:         /* the caller restarts once STOPPED */
		case PEV_STOP:
		case PEV_SPAWN_FAILED:
			break;
		case PEV_EXIT:
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
