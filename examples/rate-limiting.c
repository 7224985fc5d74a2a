/* rate-limiting.c: requests to a service that allows 3 calls per period
 *
 * Seven requests are queued at once against a limit of three starts per
 * period, a tenth of a period apart: the first three start right away (a
 * tenth of a period apart), the rest wait their turn in order, and no
 * window of one period ever holds more than three starts.
 *
 * Usage: rate-limiting [PERIOD_SECONDS]
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include <aioext.h>

#define MAX_CALLS 3
#define N_REQUESTS 7

static gint64 begin;
static double starts[N_REQUESTS];
static guint n_done;
static guint n_failed;

/* Runs when the limiter lets the request start: stands for the request. */
static void
start_request (AioJob       *job,
               GCancellable *cancellable,
               gpointer      user_data)
{
  guint number = GPOINTER_TO_UINT (user_data);
  g_auto(GValue) value = G_VALUE_INIT;

  starts[number] = (g_get_monotonic_time () - begin) / (double) G_USEC_PER_SEC;
  g_print ("request %u starts at %.2f s\n", number, starts[number]);

  g_value_init (&value, G_TYPE_UINT);
  g_value_set_uint (&value, number);
  aio_job_return_value (job, &value);
}

static void
on_request_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;

  if (aio_rate_limiter_run_job_finish (AIO_RATE_LIMITER (source_object), result, &error) == NULL)
    {
      g_printerr ("A request failed: %s\n", error->message);
      n_failed++;
    }
  if (++n_done == N_REQUESTS)
    g_main_loop_quit (loop);
}

/* The shortest time in which MAX_CALLS + 1 successive requests started. */
static double
shortest_span (void)
{
  double shortest = G_MAXDOUBLE;

  for (guint i = 0; i + MAX_CALLS < N_REQUESTS; i++)
    shortest = MIN (shortest, starts[i + MAX_CALLS] - starts[i]);
  return shortest;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(AioRateLimiter) limiter = NULL;
  g_autoptr(GError) error = NULL;
  double period = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 1.0;

  limiter = aio_rate_limiter_new (MAX_CALLS, period, period / 10, &error);
  if (limiter == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  begin = g_get_monotonic_time ();
  for (guint i = 0; i < N_REQUESTS; i++)
    {
      g_autoptr(AioJob) job = aio_job_new (start_request, GUINT_TO_POINTER (i), NULL);

      aio_rate_limiter_run_job_async (limiter, job, NULL, on_request_done, loop);
    }
  g_main_loop_run (loop);

  /* Generous: a wake-up may come late, never early. */
  if (n_failed > 0 || shortest_span () < 0.9 * period)
    return 1;
  g_print ("%d requests started in %.2f s, never more than %d per %.2f s\n",
           N_REQUESTS, starts[N_REQUESTS - 1], MAX_CALLS, period);
  return 0;
}
