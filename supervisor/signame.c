/* signame — signal names as a config and the control protocol write them.
 *
 * The lowest part of reading a config: the program keys (stopsignal), the
 * supervisord keys checked as supervisord checks them, corralctl signal and
 * XML-RPC's signalProcess all take a signal by name, so it sits below all
 * of them. Pure: no I/O. */
#include "supervisor/signame.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <strings.h>

/* Canonical names first: a number maps back to the first name listed. */
static const struct {
	const char *name;
	int sig;
} signal_table[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "BUS", SIGBUS }, { "FPE", SIGFPE },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
#ifdef SIGSTKFLT
	{ "STKFLT", SIGSTKFLT },
#endif
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG }, { "XCPU", SIGXCPU },
	{ "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO },
#ifdef SIGPWR
	{ "PWR", SIGPWR },
#endif
	{ "SYS", SIGSYS },
	/* aliases */
#ifdef SIGIOT
	{ "IOT", SIGIOT },
#endif
#ifdef SIGPOLL
	{ "POLL", SIGPOLL },
#endif
#ifdef SIGCLD
	{ "CLD", SIGCLD },
#endif
};

static const char *const rt_names[] = {
	"RTMIN", "RTMIN+1", "RTMIN+2", "RTMIN+3", "RTMIN+4", "RTMIN+5", "RTMIN+6",
	"RTMIN+7", "RTMIN+8", "RTMIN+9", "RTMIN+10", "RTMIN+11", "RTMIN+12",
	"RTMIN+13", "RTMIN+14", "RTMIN+15", "RTMIN+16", "RTMIN+17", "RTMIN+18",
	"RTMIN+19", "RTMIN+20", "RTMIN+21", "RTMIN+22", "RTMIN+23", "RTMIN+24",
	"RTMIN+25", "RTMIN+26", "RTMIN+27", "RTMIN+28", "RTMIN+29", "RTMIN+30",
};

/* A small decimal number with nothing else around it, or -1. */
static int small_number(const char *s)
{
	int n = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > 1000)
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n;
}

int signame_number(const char *name)
{
	if (!name || !*name)
		return -1;
	if (*name >= '0' && *name <= '9') {
		int n = small_number(name);
		return n >= 1 && n <= SIGRTMAX ? n : -1;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof signal_table / sizeof signal_table[0]; i++)
		if (strcasecmp(name, signal_table[i].name) == 0)
			return signal_table[i].sig;
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool min = strncasecmp(name, "RTMIN", 5) == 0;
		int off = 0;
		if (name[5]) {
			if (name[5] != (min ? '+' : '-'))
				return -1;
			off = small_number(name + 6);
			if (off < 0)
				return -1;
		}
		int sig = min ? SIGRTMIN + off : SIGRTMAX - off;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
	}
	return -1;
}

const char *signame_name(int sig)
{
	for (size_t i = 0; i < sizeof signal_table / sizeof signal_table[0]; i++)
		if (signal_table[i].sig == sig)
			return signal_table[i].name;
	if (sig == SIGRTMAX)
		return "RTMAX";
	if (sig >= SIGRTMIN && sig < SIGRTMAX &&
	    (size_t)(sig - SIGRTMIN) < sizeof rt_names / sizeof rt_names[0])
		return rt_names[sig - SIGRTMIN];
	return "?";
}
