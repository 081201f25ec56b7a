/* vt-cil-protocol.c: splits and class orders. */
#include "vt-cil-protocol.h"
#include "core/vt-random.h"

#include <stdlib.h>

G_DEFINE_QUARK (vt-cil-error-quark, vt_cil_error)

gboolean
vt_cil_split_parse (const char  *text,
                    VtCilSplit  *split,
                    GError     **error)
{
  guint64 base, step;
  char *end;

  if (text[0] != 'B' || !g_ascii_isdigit (text[1]))
    goto bad;
  base = g_ascii_strtoull (text + 1, &end, 10);
  if (!g_str_has_prefix (end, "-Inc") || !g_ascii_isdigit (end[4]))
    goto bad;
  step = g_ascii_strtoull (end + 4, &end, 10);
  if (*end != '\0' || step == 0 || base > G_MAXUINT || step > G_MAXUINT)
    goto bad;
  split->base = (guint) base;
  split->step = (guint) step;
  return TRUE;

bad:
  g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_SPLIT,
               "“%s” is not a split: expected B<base>-Inc<step>, such as B0-Inc10 or B50-Inc10", text);
  return FALSE;
}

gboolean
vt_cil_split_stages (const VtCilSplit  *split,
                     guint              n_classes,
                     GArray           **ends,
                     GError           **error)
{
  guint first = split->base ? split->base : split->step;

  if (first > n_classes || (n_classes - first) % split->step != 0)
    {
      g_set_error (error, VT_CIL_ERROR, VT_CIL_ERROR_SPLIT,
                   "B%u-Inc%u does not divide %u classes: after a first stage of %u, the remaining %u "
                   "are not a whole number of stages of %u",
                   split->base, split->step, n_classes, first, first > n_classes ? 0 : n_classes - first,
                   split->step);
      return FALSE;
    }
  *ends = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint end = first; end <= n_classes; end += split->step)
    g_array_append_val (*ends, end);
  return TRUE;
}

guint *
vt_cil_class_order (guint    n_classes,
                    gboolean shuffle,
                    guint32  seed)
{
  guint *order = g_new (guint, MAX (n_classes, 1));

  if (shuffle)
    {
      VtRandom random;
      vt_random_init (&random, seed);
      vt_random_permutation (&random, n_classes, order);
    }
  else
    for (guint i = 0; i < n_classes; i++)
      order[i] = i;
  return order;
}
