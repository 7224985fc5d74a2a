/* process-children.h: this process's children as /proc lists them, for
 * tests that check a process pool reaps every worker
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

/* Logs one child, with its state and command line, for the report of a
 * test that waited for it in vain. */
static inline void
describe_child (const char *pid,
                const char *stat,
                const char *after_name,
                char        state)
{
  g_autofree char *path = g_build_filename ("/proc", pid, "cmdline", NULL);
  g_autofree char *cmdline = NULL;
  gsize length = 0;

  g_file_get_contents (path, &cmdline, &length, NULL);
  for (gsize i = 0; cmdline != NULL && i + 1 < length; i++)
    if (cmdline[i] == '\0')
      cmdline[i] = ' ';
  g_test_message ("child %s still there, state %c: %.*s %s", pid, state,
                  (int) (after_name - stat + 1), stat, cmdline != NULL ? cmdline : "");
}

/* Children of this process in /proc: the zombies (exited, not yet
 * reaped), the others, or both; each logged when @describe. */
static inline guint
scan_children (gboolean zombies,
               gboolean others,
               gboolean describe)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  guint children = 0;

  while ((name = g_dir_read_name (proc)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *stat = NULL;
      char *after_name;
      char state;
      int parent;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &stat, NULL, NULL))
        continue;
      after_name = strrchr (stat, ')');
      if (after_name == NULL || sscanf (after_name + 1, " %c %d", &state, &parent) != 2 ||
          parent != getpid () || !(state == 'Z' ? zombies : others))
        continue;
      children++;
      if (describe)
        describe_child (name, stat, after_name, state);
    }

  return children;
}

/* Children of this process in /proc, alive or not yet reaped. */
static inline guint
count_children (gboolean only_zombies)
{
  return scan_children (TRUE, !only_zombies, FALSE);
}

/* Children of this process that have not exited. */
static inline guint
count_live_children (void)
{
  return scan_children (FALSE, TRUE, FALSE);
}

static inline gboolean
children_counted_reach_zero_within (gboolean only_zombies,
                                    guint    seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (count_children (only_zombies) > 0)
    {
      if (g_get_monotonic_time () > deadline)
        {
          scan_children (TRUE, !only_zombies, TRUE);
          return FALSE;
        }
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return TRUE;
}

/* Whether every child that exited is reaped within @seconds: the pool
 * reaps from its own thread, after SIGCHLD, so a worker it just killed may
 * stay a zombie for a moment after its call failed. */
static inline gboolean
zombies_are_reaped_within (guint seconds)
{
  return children_counted_reach_zero_within (TRUE, seconds);
}

/* Whether every child has exited and been reaped within @seconds: the
 * workers of a pool an earlier test let go of exit on their own time. */
static inline gboolean
children_are_gone_within (guint seconds)
{
  return children_counted_reach_zero_within (FALSE, seconds);
}
