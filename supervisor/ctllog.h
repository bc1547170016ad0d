/* ctllog — the control verbs on logs (tail [-f], maintail [-f], reopen),
 * set into the control server (controlint.h) at init. */
#ifndef CORRAL_CTLLOG_H
#define CORRAL_CTLLOG_H

/* After control_init(): its verbs, and the core's hooks it follows logs
 * by. 0, or -ENOSPC. */
int ctllog_init(void);

#endif
