/* ansi — supervisord's strip_ansi: escape sequences taken out of a
 * program's output before it is logged.
 *
 * The rule is supervisord's (4.2), byte for byte: from ESC '[' on, every
 * byte is dropped up to and including the first of H f A B C D R s u J K
 * h l p m. Nothing else is touched: an ESC not followed by '[' (a title
 * set by OSC, a charset switch) stays, and so does a lone '['. One
 * difference: a sequence whose ESC '[' ends one read is still taken out
 * up to its terminator in the next, where supervisord, which starts
 * afresh at each read, would leave the rest of it in the log. Pure: no
 * I/O. */
#ifndef CORRAL_ANSI_H
#define CORRAL_ANSI_H

#include <stdbool.h>
#include <stddef.h>

struct ansi_strip {
	bool inside;  /* after ESC '[': bytes are dropped up to a terminator */
};

void ansi_strip_init(struct ansi_strip *st);

/* Take the escape sequences out of BUF[0..LEN), in place, going on from
 * where the last call left off; returns the length left. */
size_t ansi_strip(struct ansi_strip *st, char *buf, size_t len);

#endif
