/* utf8 — where a byte string stops being UTF-8, for the client's JSON and
 * the daemon's supervisord-style text. Pure. */
#ifndef CORRAL_UTF8_H
#define CORRAL_UTF8_H

#include <stddef.h>

/* Length of the UTF-8 sequence at S (N > 0 bytes left), as a strict
 * decoder takes it (Python's, JSON's): 0 when S does not start one, for
 * overlong forms, surrogates and values past U+10FFFF too. */
size_t utf8_seq_len(const unsigned char *s, size_t n);

#endif
