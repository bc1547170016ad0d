/* cmdline — split a command line into argv the way a POSIX shell would
 * tokenise words, without running a shell: whitespace separates words,
 * 'single quotes' are literal, "double quotes" honour \" \\ \$ \` and a
 * backslash-newline, a backslash outside quotes escapes the next character.
 * No expansion of any kind. */
#ifndef CORRAL_CMDLINE_H
#define CORRAL_CMDLINE_H

#include <stddef.h>

/* Split S into a NULL-terminated argv (one allocation per string, plus the
 * array; free with cmdline_free). Returns 0, or -EINVAL with a message in
 * ERR (e.g. "unterminated double quote") for bad input, or -ENOMEM.
 * An empty or all-blank S gives -EINVAL "empty command". */
int cmdline_split(const char *s, char ***argv_out, char *err, size_t errlen);
void cmdline_free(char **argv);

#endif
