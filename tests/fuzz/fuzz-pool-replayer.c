/* fuzz-pool-replayer.c: the worker of fuzz-pool. It plays back a file to
 * its pool: a 2-byte little-endian length L, then L bytes sent at once (the
 * greeting, if any), then the rest, sent once the pool has called (or after
 * a short wait when it does not), before it exits.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WAIT_FOR_CALL_MS 20

static void
send_all (int                  fd,
          const unsigned char *data,
          size_t               size)
{
  while (size > 0)
    {
      ssize_t written = write (fd, data, size);

      if (written <= 0)
        exit (0);
      data += written;
      size -= written;
    }
}

int
main (int   argc,
      char *argv[])
{
  static unsigned char input[1 << 16];
  unsigned char call[4096];
  const char *fd_text = getenv ("AIO_WORKER_FD");
  struct pollfd pool = { .events = POLLIN };
  FILE *file;
  size_t size, first;

  if (argc != 2 || fd_text == NULL || (file = fopen (argv[1], "rb")) == NULL)
    return 2;
  size = fread (input, 1, sizeof input, file);
  fclose (file);
  pool.fd = atoi (fd_text);
  if (size < 2)
    return 0;

  first = input[0] | (size_t) input[1] << 8;
  if (first > size - 2)
    first = size - 2;
  send_all (pool.fd, input + 2, first);
  if (poll (&pool, 1, WAIT_FOR_CALL_MS) > 0 && read (pool.fd, call, sizeof call) <= 0)
    return 0;
  send_all (pool.fd, input + 2 + first, size - 2 - first);

  return 0;
}
