/* state — what an operator decided, kept in state_dir across reloads,
 * restarts of corrald and reboots: the programs `corralctl disable`
 * turned off until `corralctl enable`, and the number of instances
 * `corralctl scale` gave a program until `scale NAME --reset`. One file, DIR/state, rewritten
 * whole and atomically (a temporary file, fsync, rename, fsync of DIR);
 * DIR is made (0700) at the first write, so a corrald that never disables
 * anything leaves no trace. A file that cannot be read or understood is
 * reported with its path and ignored: corrald starts with the config's
 * defaults, never refuses to start. */
#ifndef CORRAL_STATE_H
#define CORRAL_STATE_H

#include <stdbool.h>
#include <stddef.h>

/* The file's format version; the first line that is not a comment says
 * "corral-state VERSION". */
#define STATE_VERSION 1

/* Read DIR/state, replacing what was read before (a reload may move the
 * directory). 0 when it was read or is not there; -errno (EINVAL: not
 * understood) after WHY heard the path and the reason, with nothing
 * disabled. DIR is kept for the writes. */
int state_load(const char *dir, char *why, size_t whylen);

/* state_load(), and a word in corrald's log: how many programs are
 * disabled, or why the file was ignored. */
void state_open(const char *dir);

/* Whether program NAME is disabled. O(log n) in the names disabled. */
bool state_disabled(const char *name);

/* Disable (ON) or enable each of NAMES[0..N), and write the file. All or
 * nothing: on a failed write nothing changes, and WHY says what failed
 * (with the path). 0 or -errno. */
int state_set_disabled(const char *const *names, size_t n, bool on, char *why, size_t whylen);

/* The most instances corralctl scale gives a program. */
#define STATE_SCALE_MAX 1000

/* corralctl scale: how many instances program NAME runs instead of its
 * numprocs; 0 when none was set. */
int state_scale(const char *name);

/* Program NAME runs COUNT instances from now on (0: its numprocs again),
 * and the file is written. All or nothing, as state_set_disabled(). */
int state_set_scale(const char *name, int count, char *why, size_t whylen);

/* The path of the file (for messages), "" before state_load. */
const char *state_path(void);

void state_free(void);

#endif
