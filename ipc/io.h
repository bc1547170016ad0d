/* io — EINTR and short reads/writes handled in one place. */
#ifndef CORRAL_IO_H
#define CORRAL_IO_H

#include <stddef.h>
#include <sys/types.h>

/* PATH and its missing parents, each made with MODE. 0 or -errno. */
int io_mkdir_p(const char *path, mode_t mode);

/* Write all of BUF to a blocking FD. Returns 0 or -errno. */
int io_write_all(int fd, const void *buf, size_t len);
/* Read exactly LEN bytes from a blocking FD. Returns 0, -EPIPE on an early
 * end of file, or -errno. */
int io_read_exact(int fd, void *buf, size_t len);
/* One read() retried on EINTR: bytes read, 0 at end of file, or -errno
 * (-EAGAIN for a non-blocking fd with nothing to read). */
ssize_t io_read_some(int fd, void *buf, size_t len);
/* pread() LEN bytes at OFF, retried on EINTR and short reads: the bytes
 * read, fewer at end of file or on an error (a file being written may end
 * sooner than its size said). */
size_t io_pread_upto(int fd, void *buf, size_t len, off_t off);
/* The start of the file PATH (a small one: /proc, /sys), at most LEN - 1
 * bytes, into BUF with a NUL after it: its length, or -errno. */
ssize_t io_read_text(const char *path, char *buf, size_t len);
/* The same, PATH relative to the directory AT. */
ssize_t io_read_text_at(int at, const char *path, char *buf, size_t len);
/* One write() retried on EINTR: bytes written or -errno. */
ssize_t io_write_some(int fd, const void *buf, size_t len);
/* Connect a stream socket (O_CLOEXEC) to the Unix socket PATH: the fd, or
 * -errno. TIMEOUT seconds (0: none) also bound connect() (a full backlog)
 * and the writes, through SO_SNDTIMEO. */
int io_connect_unix(const char *path, double timeout);

#endif
