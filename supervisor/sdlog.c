#include "supervisor/sdlog.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/log.h"

const char *sdlog_signame(int sig, char *buf, size_t len)
{
	/* Python's signal module names these; it has no name for the
	 * real-time signals between them. */
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else if (sig == SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig == SIGRTMAX)
		snprintf(buf, len, "SIGRTMAX");
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

void sdlog_wait_status(int code, int sig, bool core, char *buf, size_t len)
{
	char name[32];
	if (sig)
		snprintf(buf, len, "terminated by %s%s", sdlog_signame(sig, name, sizeof name),
			 core ? " (core dumped)" : "");
	else
		snprintf(buf, len, "exit status %d", code);
}

void sdlog_started(pid_t pid)
{
	log_info("supervisord started with pid %d", (int)pid);
}

void sdlog_spawned(const char *name, pid_t pid)
{
	log_info("spawned: '%s' with pid %d", name, (int)pid);
}

void sdlog_spawnerr(const char *msg)
{
	log_info("spawnerr: %s", msg);
}

const char *sdlog_spawn_words(const char *name, int err, bool at_fork, char *buf, size_t len)
{
	if (err == EMFILE)
		snprintf(buf, len, "too many open files to spawn '%s'", name);
	else if (at_fork && err == EAGAIN)
		snprintf(buf, len, "Too many processes in process table to spawn '%s'", name);
	else if (at_fork)
		snprintf(buf, len, "unknown error during fork for '%s': %s", name,
			 strerrorname_np(err) ? strerrorname_np(err) : "?");
	else
		return NULL;
	return buf;
}

void sdlog_running(const char *name, const struct program_config *cfg)
{
	switch (cfg->ready) {
	case READY_STARTSECS:
		log_info("success: %s entered RUNNING state, process has stayed up for > than "
			 "%d seconds (startsecs)", name, cfg->startsecs);
		break;
	case READY_NONE:
		log_info("success: %s entered RUNNING state, process is ready at once (ready = none)",
			 name);
		break;
	case READY_NOTIFY:
		log_info("success: %s entered RUNNING state, process said it is ready (ready = notify)",
			 name);
		break;
	case READY_FD:
		log_info("success: %s entered RUNNING state, process said it is ready (ready = fd:%d)",
			 name, cfg->ready_fd);
		break;
	case READY_HEALTH:
		log_info("success: %s entered RUNNING state, its health check passed (ready = health)",
			 name);
		break;
	case READY_LOG:
		log_info("success: %s entered RUNNING state, it wrote a line matching ready = log:%s",
			 name, cfg->ready_log);
		break;
	}
}

void sdlog_exit(const char *name, enum pexit kind, bool expected, int code, int sig, bool core)
{
	char status[64];
	sdlog_wait_status(code, sig, core, status, sizeof status);
	switch (kind) {
	case PEXIT_NONE:
		break;
	case PEXIT_STOPPED:
		/* supervisord warns unless the code is an expected one */
		log_msg(expected ? LOG_INFO : LOG_WARN, "stopped: %s (%s)", name, status);
		break;
	case PEXIT_EXPECTED:
		log_info("exited: %s (%s; expected)", name, status);
		break;
	case PEXIT_FAILED_START: /* not expected, whatever the code */
	case PEXIT_UNEXPECTED:
		log_warn("exited: %s (%s; not expected)", name, status);
		break;
	}
}

void sdlog_gave_up(const char *name)
{
	log_info("gave up: %s entered FATAL state, too many start retries too quickly", name);
}

void sdlog_stopping(const char *name)
{
	log_info("waiting for %s to stop", name);
}

void sdlog_killing(const char *name, pid_t pid)
{
	log_warn("killing '%s' (%d) with SIGKILL", name, (int)pid);
}

void sdlog_waiting_to_die(const char *names)
{
	log_info("waiting for %s to die", names);
}

void sdlog_signal(int sig, bool ignored)
{
	char name[32];
	sdlog_signame(sig, name, sizeof name);
	switch (sig) {
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		log_warn("received %s indicating exit request", name);
		break;
	case SIGHUP:
		if (ignored)
			log_warn("ignored %s indicating restart request (shutdown in progress)", name);
		else
			log_warn("received %s indicating restart request", name);
		break;
	case SIGUSR2:
		log_info("received %s indicating log reopen request", name);
		break;
	case SIGCHLD:
		log_debug("received %s indicating a child quit", name);
		break;
	default:
		break;
	}
}

void sdlog_listener_state(const char *name, const char *from, const char *to)
{
	log_debug("%s: %s -> %s", name, from, to);
}

void sdlog_stray(pid_t pid, int code, int sig, bool core)
{
	char status[64];
	sdlog_wait_status(code, sig, core, status, sizeof status);
	log_info("reaped unknown pid %d (%s)", (int)pid, status);
}
