/* notify — the receiving side of sd_notify: the datagram socket that
 * NOTIFY_SOCKET names for workers (next to the control socket), and what
 * they say on it, as systemd hears Type=notify services: READY=1, STATUS=,
 * WATCHDOG=1 and WATCHDOG=trigger, EXTEND_TIMEOUT_USEC=, ERRNO=. Only a
 * process of corrald's, or one in its tree, is believed. (corrald's own
 * word to its service manager is sdnotify.h; s6's ready fd is process.h's.) */
#ifndef CORRAL_NOTIFY_H
#define CORRAL_NOTIFY_H

#include "supervisor/config.h"

/* Bind CFG's socket path with ".notify" added and watch it; its path is
 * then core.notify_path. A failure is logged: ready = notify will not
 * work, corrald runs all the same. */
void notify_open(const struct corral_config *cfg);
/* corralctl reexec: the socket goes across (handover.h), and notify_open
 * takes it back instead of binding anew. 0 or -ENOMEM. */
struct handover;
int notify_handover(struct handover *h);
/* Close it and remove the file, if it is still the one made. */
void notify_close(void);

#endif
