/* vt-map-rank.c: pixels by relevance (vt-map-rank.h). */
#include "vt-map-rank.h"
#include "vt-faithfulness-result.h"

#include <math.h>
#include <stdlib.h>

typedef struct
{
  float  value;
  guint  index;
} Pixel;

static int
by_relevance (const void *a,
              const void *b)
{
  const Pixel *p = a, *q = b;

  if (p->value != q->value)
    return p->value > q->value ? -1 : 1;
  return p->index < q->index ? -1 : p->index > q->index;
}

gboolean
vt_map_rank (const float  *map,
             gsize         n,
             int           image,
             guint        *order,
             GError      **error)
{
  g_autofree Pixel *pixels = g_new (Pixel, MAX (n, 1));

  for (gsize p = 0; p < n; p++)
    {
      if (!isfinite (map[p]))
        {
          g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                       "the map of image %d is not finite at pixel %" G_GSIZE_FORMAT, image, p);
          return FALSE;
        }
      pixels[p].value = map[p];
      pixels[p].index = (guint) p;
    }
  qsort (pixels, n, sizeof (Pixel), by_relevance);
  for (gsize p = 0; p < n; p++)
    order[p] = pixels[p].index;
  return TRUE;
}
