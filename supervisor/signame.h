/* signame — signal names: "TERM", "SIGTERM", "15", "RTMIN+2". */
#ifndef CORRAL_SIGNAME_H
#define CORRAL_SIGNAME_H

/* Signal number for a name like "TERM", "SIGTERM" or "15" (any case);
 * -1 if unknown. */
int signame_number(const char *name);

/* "TERM" for SIGTERM (a number maps back to its first, canonical name);
 * "?" for an unknown number. */
const char *signame_name(int sig);

#endif
