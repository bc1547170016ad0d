/* cfgcheck — a config checked as a whole, once every file is read: every
 * program a group lists exists and is in no other group; each [socket:]
 * gives its addresses to a program that runs one process, and no address
 * is bound twice; requires and after name programs and make no cycle;
 * each process has a name of its own that fits a file name; the sandbox
 * compiles. Messages go to the section they are about, as the reader's
 * do. Not for use outside config's files. */
#ifndef CORRAL_CFGCHECK_H
#define CORRAL_CFGCHECK_H

#include <stdbool.h>

#include "supervisor/cfgload.h"

/* Check what LD has read, and give each program what its group and its
 * sockets give it (its group's name and priority, its listening fds). */
void cfgcheck_config(struct loader *ld);

/* NAME can name a [socket:NAME] (it goes into LISTEN_FDNAMES); false
 * after saying why at the current line of SRC. */
bool cfgcheck_socket_name(struct source *src, const char *name);

#endif
