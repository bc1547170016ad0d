/* rollctl — the control verb of rolling restarts: corralctl restart
 * --rolling [--batch N] NAME..., and a plain restart of a program whose
 * update_strategy is rolling, go to roll.h; other restarts to control.c's
 * handler as before. */
#ifndef CORRAL_ROLLCTL_H
#define CORRAL_ROLLCTL_H

/* Take over the restart verb (after control_init) and subscribe roll.c. 0,
 * or -ENOSPC. */
int rollctl_init(void);

#endif
