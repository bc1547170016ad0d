/* schedule — programs started by their schedule = (cron.h): a part above
 * the core, which it drives through supervisor.h and hears through hooks.h,
 * as pools and event listeners do. The loop and the core know nothing of it.
 *
 * Each scheduled program has a deadline in the loop's heap (monotonic) for
 * its next trigger, computed as a wall-clock time and armed for the
 * difference; when it fires the wall clock is read again (a clock set back
 * meanwhile re-arms it; one set forward runs the trigger once). A timerfd
 * on CLOCK_REALTIME with TFD_TIMER_CANCEL_ON_SET tells of clock changes in
 * between: the triggers are recomputed then. Between triggers the part
 * makes no system call.
 *
 * A run is a start of the program's one process (numprocs = 1): never while
 * its previous run goes on (that trigger is skipped, logged, counted and
 * emitted as PROCESS_SCHEDULE_SKIPPED); schedule_timeout stops an overlong
 * run and SIGKILLs its main process, so that its scope is emptied, and the
 * run's status is 124 (PROCESS_SCHEDULE_TIMEOUT). */
#ifndef CORRAL_SCHEDULE_H
#define CORRAL_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

struct program;

/* Subscribe to the core's hooks (hooks.h). 0, or -ENOSPC. */
int schedule_init(void);

/* What status says of PROG's schedule. */
struct schedule_info {
	const char *expr;       /* schedule = as written */
	int64_t last_run;       /* time() the last run started, 0: never */
	int last_status;        /* its status as a shell gives it (124: timed out,
				 * 127: spawn error, 128+N: signal N); -1: none or
				 * running */
	int64_t next_run;       /* time() of the next trigger, 0: none (@reboot) */
	uint64_t skipped;       /* triggers skipped: the previous run still going */
	uint64_t runs;          /* runs started since corrald started (carried across
				 * an exec) */
};

/* PROG's schedule into *INFO: true, or false when it has none. */
bool schedule_info(const struct program *prog, struct schedule_info *info);

#endif
