/* watch — watch = PATH...: a program restarts when a watched file changes.
 * A part above the core, on its hooks (hooks.h: a program's making and
 * freeing) and its API (supervisor.h: the stop half of a restart, then a
 * start, as corralctl restart does); the loop and the core know nothing
 * of it.
 *
 * One inotify descriptor (IN_NONBLOCK | IN_CLOEXEC) on corrald's loop
 * serves every program: a watched file is watched itself, a watched
 * directory with each directory under it, and new subdirectories are added
 * as they appear (watch_exclude = globs, watchmatch.h, leave paths out).
 * Any change, or IN_Q_OVERFLOW (events lost: something changed), opens a
 * window of watch_debounce milliseconds at whose end the program's live
 * processes restart once, however many events came in it. A watched path
 * that disappears is said in the log and its parent directory watched
 * instead; when the path comes back it is watched again (and that is a
 * change). */
#ifndef CORRAL_WATCH_H
#define CORRAL_WATCH_H

struct program;

/* Subscribe to the core's hooks. 0, or -ENOSPC. */
int watch_init(void);

/* The inotify watches PROG's watch = uses, or -1 when it has none. */
int watch_count(const struct program *prog);

#endif
