/* sdnotify — tell the service manager that started corrald how it is doing
 * (the sd_notify protocol: datagrams like "READY=1" to $NOTIFY_SOCKET), so
 * corrald.service can be Type=notify. The sending side only; a handful of
 * lines, so no libsystemd. */
#ifndef CORRAL_SDNOTIFY_H
#define CORRAL_SDNOTIFY_H

/* Take $NOTIFY_SOCKET and remove it from the environment, so workers do not
 * inherit corrald's channel to its own manager. */
void sdnotify_init(void);
/* Send MSG ("READY=1\nSTATUS=..."). 0, or -errno; 0 without a manager. */
int sdnotify_send(const char *msg);

#endif
