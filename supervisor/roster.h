/* roster — the programs corrald runs, from their making to their freeing:
 * a program is made from its config section (its processes named and
 * initialised), joins the list in priority order and autostarts; a program
 * that a reload removes or changes retires: it stops, leaves the list
 * once every process is down, and is freed after the turn of the loop
 * (an event of the same turn may still point at it). A new generation of
 * a program, or a program of the same name as one still stopping, waits
 * for the old one: two generations never overlap. The list itself and
 * the autostart queue's marks: core.h. */
#ifndef CORRAL_ROSTER_H
#define CORRAL_ROSTER_H

#include "supervisor/supervisor_types.h"

/* A program for C, whose settings live in REF (held while it lives), with
 * its processes stopped; not yet in the list. NULL: out of memory. */
struct program *roster_new(struct program_config *c, struct config_ref *ref);
/* Free PROG and its processes (it is in no list). */
void roster_free(struct program *prog);

/* PROG, in the list now, is new to corrald: queued to start, or, while a
 * program with a process of the same name is still stopping, started once
 * that one is down. */
void roster_added(struct program *prog);
/* SUCC, in the list now, replaces OLD: OLD retires, and SUCC starts once
 * OLD is down. */
void roster_replace(struct program *old, struct program *succ);
/* Stop PROG's processes and take PROG out of service once they are down. */
void roster_retire(struct program *prog);
/* After a change of a retiring PROG's process: once all are down, PROG
 * leaves the list, and its successor may start. */
void roster_check_retired(struct program *prog);
/* Free the programs that left the list during this turn of the loop, and
 * the processes a scale took away. */
void roster_bury(void);

/* Why C's program cannot run another number of processes than its
 * numprocs (a pool, an event listener, main, a schedule, values per
 * process, reuseport sockets, a process_name without %(process_num)d);
 * NULL when it can. */
const char *roster_scale_problem(const struct program_config *c);

/* How many processes C's program runs: its numprocs, or what corralctl
 * scale set (state.h) when it can be scaled (else said in the log). */
int roster_instances(const struct program_config *c);

/* PROG runs N processes from now on: new ones are made (stopped, in the
 * index; with QUEUE, queued to start as autostart does, else the caller
 * starts them), or those from N up are stopped, the
 * highest first, and taken away once down (roster_check_surplus); the
 * others are never touched. Each process is its own allocation, so the
 * array may grow without moving one. 0, or -errno with WHY. */
int roster_scale(struct program *prog, int n, bool queue, char *why, size_t whylen);

/* After a change of a process of PROG: take away the surplus ones that
 * are down, from the highest, into the graveyard (freed after the turn,
 * their on_process_changed(gone) then). */
void roster_check_surplus(struct program *prog);

#endif
