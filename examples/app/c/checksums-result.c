/* checksums-result.c: one row of the Checksums app's result list: a file
 * and, once hashed, its checksum or why it could not be read. The list's
 * rows bind their labels to these properties (checksums-window.ui).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "checksums-result.h"

struct _ChecksumsResult
{
  GObject  parent_instance;
  char    *path;
  char    *checksum;
  char    *problem;
};

G_DEFINE_FINAL_TYPE (ChecksumsResult, checksums_result, G_TYPE_OBJECT)

enum { PROP_0, PROP_PATH, PROP_CHECKSUM, PROP_PROBLEM, N_PROPS };
static GParamSpec *properties[N_PROPS];

static char **
field_of (ChecksumsResult *self,
          guint            property_id)
{
  switch (property_id)
    {
    case PROP_PATH:
      return &self->path;
    case PROP_CHECKSUM:
      return &self->checksum;
    default:
      return &self->problem;
    }
}

static void
checksums_result_get_property (GObject    *object,
                               guint       property_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  g_value_set_string (value, *field_of (CHECKSUMS_RESULT (object), property_id));
}

static void
checksums_result_set_property (GObject      *object,
                               guint         property_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  char **field = field_of (CHECKSUMS_RESULT (object), property_id);
  const char *text = g_value_get_string (value);

  if (g_strcmp0 (*field, text) == 0)
    return;
  g_free (*field);
  *field = g_strdup (text != NULL ? text : "");
  g_object_notify_by_pspec (object, pspec);
}

static void
checksums_result_finalize (GObject *object)
{
  ChecksumsResult *self = CHECKSUMS_RESULT (object);

  g_free (self->path);
  g_free (self->checksum);
  g_free (self->problem);

  G_OBJECT_CLASS (checksums_result_parent_class)->finalize (object);
}

static void
checksums_result_class_init (ChecksumsResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->get_property = checksums_result_get_property;
  object_class->set_property = checksums_result_set_property;
  object_class->finalize = checksums_result_finalize;

  properties[PROP_PATH] = g_param_spec_string ("path", "Path", "The file, relative to the folder",
                                               "", flags | G_PARAM_CONSTRUCT_ONLY);
  properties[PROP_CHECKSUM] = g_param_spec_string ("checksum", "Checksum", "Its SHA-256 checksum in hexadecimal",
                                                   "", flags);
  properties[PROP_PROBLEM] = g_param_spec_string ("problem", "Problem", "Why it could not be read",
                                                  "", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
checksums_result_init (ChecksumsResult *self)
{
  self->path = g_strdup ("");
  self->checksum = g_strdup ("");
  self->problem = g_strdup ("");
}

ChecksumsResult *
checksums_result_new (const char *path)
{
  return g_object_new (CHECKSUMS_TYPE_RESULT, "path", path, NULL);
}

const char *
checksums_result_get_path (ChecksumsResult *self)
{
  return self->path;
}

const char *
checksums_result_get_checksum (ChecksumsResult *self)
{
  return self->checksum;
}

const char *
checksums_result_get_problem (ChecksumsResult *self)
{
  return self->problem;
}

void
checksums_result_set_checksum (ChecksumsResult *self,
                               const char      *checksum)
{
  g_object_set (self, "checksum", checksum, NULL);
}

void
checksums_result_set_problem (ChecksumsResult *self,
                              const char      *problem)
{
  g_object_set (self, "problem", problem, NULL);
}
