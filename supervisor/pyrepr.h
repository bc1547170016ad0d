/* pyrepr — Python's repr() of text and of bytes, and supervisord's way of
 * turning a program's output into text, for what must read as supervisord
 * writes it: its log's echo of output, the data of PROCESS_LOG and
 * PROCESS_COMMUNICATION events. Pure: no I/O, no allocation but
 * pyrepr_undecodable()'s. */
#ifndef CORRAL_PYREPR_H
#define CORRAL_PYREPR_H

#include <stdbool.h>
#include <stddef.h>

/* The most bytes pyrepr_str() or pyrepr_bytes() writes for LEN bytes. */
#define PYREPR_MAX(len) (4 * (len) + 3)

/* S is UTF-8 as Python's strict decoder takes it (no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
bool pyrepr_utf8(const char *s, size_t len);

/* repr() of the text S, at OUT (PYREPR_MAX(LEN) bytes): 'web', or "it's"
 * when it holds ' and no "; bytes above ASCII stay as they are. Returns
 * the length written (no NUL). */
size_t pyrepr_str(char *out, const char *s, size_t len);
/* repr() of the bytes S: b'READY\n', b'\xff'. As pyrepr_str(). */
size_t pyrepr_bytes(char *out, const char *s, size_t len);

/* supervisord's text for output that is not UTF-8: "Undecodable: " and
 * repr() of its bytes, on the heap (the caller frees it), *OUTLEN its
 * length; NULL when out of memory. */
char *pyrepr_undecodable(const char *s, size_t len, size_t *outlen);

#endif
