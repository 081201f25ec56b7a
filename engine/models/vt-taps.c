/* vt-taps.c: the tap set. */
#include "vt-taps.h"

#include <string.h>

struct _VtTaps
{
  GPtrArray  *list;      /* VtTap*, in the order added */
  GHashTable *by_name;
};

static void
tap_free (VtTap *tap)
{
  g_free (tap->name);
  g_free (tap->data);
  g_free (tap);
}

VtTaps *
vt_taps_new (void)
{
  VtTaps *self = g_new0 (VtTaps, 1);

  self->list = g_ptr_array_new_with_free_func ((GDestroyNotify) tap_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

void
vt_taps_free (VtTaps *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->by_name);
  g_ptr_array_unref (self->list);
  g_free (self);
}

float *
vt_taps_add (VtTaps       *self,
             const char   *name,
             guint         ndim,
             const gint64 *shape)
{
  VtTap *tap = g_new0 (VtTap, 1);

  g_return_val_if_fail (ndim <= G_N_ELEMENTS (tap->shape), NULL);
  g_return_val_if_fail (!g_hash_table_contains (self->by_name, name), NULL);
  tap->name = g_strdup (name);
  tap->ndim = ndim;
  tap->numel = 1;
  for (guint i = 0; i < ndim; i++)
    {
      tap->shape[i] = shape[i];
      tap->numel *= shape[i];
    }
  tap->data = g_new0 (float, MAX (tap->numel, 1));
  g_ptr_array_add (self->list, tap);
  g_hash_table_insert (self->by_name, tap->name, tap);
  return tap->data;
}

float *
vt_taps_slot (VtTaps       *self,
              const char   *name,
              int           b,
              guint         ndim,
              const gint64 *shape)
{
  const VtTap *tap = g_hash_table_lookup (self->by_name, name);
  float *data = tap ? tap->data : vt_taps_add (self, name, ndim, shape);
  gsize per_image = 1;

  for (guint i = 1; i < ndim; i++)
    per_image *= shape[i];
  return data + (gsize) b * per_image;
}

void
vt_taps_store (VtTaps       *self,
               const char   *name,
               int           b,
               guint         ndim,
               const gint64 *shape,
               const float  *values)
{
  gsize per_image = 1;

  for (guint i = 1; i < ndim; i++)
    per_image *= shape[i];
  memcpy (vt_taps_slot (self, name, b, ndim, shape), values, sizeof (float) * per_image);
}

const VtTap *
vt_taps_lookup (VtTaps     *self,
                const char *name)
{
  return g_hash_table_lookup (self->by_name, name);
}

guint
vt_taps_get_n (VtTaps *self)
{
  return self->list->len;
}

const VtTap *
vt_taps_get (VtTaps *self,
             guint   index)
{
  return g_ptr_array_index (self->list, index);
}
