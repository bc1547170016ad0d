/* control — the control socket that corralctl talks to (control.c): its
 * clients, their requests and the answers that wait for processes. */
#ifndef CORRAL_CONTROL_H
#define CORRAL_CONTROL_H

/* Subscribe to the core's hooks (hooks.h): the socket opens at start-up
 * and closes at shutdown; waiting answers and tail -f follow what the
 * core publishes. 0, or -ENOSPC. */
int control_init(void);

#endif
