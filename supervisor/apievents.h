/* apievents — GET /api/v1/events, the JSON API's Server-Sent Events
 * stream (api.h routes it here): each state change of a process ("state")
 * and each change of its health check's verdict ("health"), with an id,
 * and, when asked with ?logs=NAME[,NAME...], the output of those programs
 * ("log", without an id: log lines are not replayed).
 *
 * The last APIEVENTS_RING events with an id are kept, so that a client
 * that comes back with Last-Event-ID gets what it missed; one whose id is
 * older than the oldest kept (or from another run of corrald) first gets a
 * "lost" event. Ids grow across restarts of corrald: the first of a run is
 * the time it started, in microseconds.
 *
 * A subscriber never holds corrald back: what it has not taken waits in
 * its connection's buffer (http.h) and is written from the loop when its
 * socket takes more; one with more than APIEVENTS_BEHIND bytes waiting is
 * sent a "dropped" event and its stream ends. Their number is a metric. */
#ifndef CORRAL_APIEVENTS_H
#define CORRAL_APIEVENTS_H

#include <stdint.h>

struct http_conn;

#define APIEVENTS_RING 512
#define APIEVENTS_BEHIND (256 * 1024)

/* Begin C's stream: what it missed since LAST_ID (its Last-Event-ID
 * header; NULL: none), then events as they come; with LOGS (the logs
 * query, programs' or processes' names separated by commas; NULL: none)
 * their output too. Answers a JSON error instead for a name that is none
 * (404). */
void apievents_serve(struct http_conn *c, const char *last_id, const char *logs);

/* Subscribers dropped for falling behind since corrald started; and
 * those that follow the stream now (for metrics). */
uint64_t apievents_dropped(void);
unsigned apievents_subscribers(void);

/* Subscribe to the core's hooks. 0, or -ENOSPC. */
int apievents_init(void);

#endif
