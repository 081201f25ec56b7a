/* vt-map-rank.h: the pixels of an attribution map in order of relevance,
 * the order deletion, insertion, ROAD and the IoU curve remove or take
 * them in: by value, largest first, ties by pixel index (row-major),
 * smallest first. Ties decide the result for maps with flat regions (a
 * ReLU'd CAM is 0 over much of an image), so the order is defined rather
 * than left to a sort: numpy's argsort(-map, kind="stable") gives it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* map (n) -> order (n): order[0] is the most relevant pixel. FALSE with
 * @error (naming image @image) if the map holds a NaN or an infinity,
 * which has no place in an order. */
gboolean  vt_map_rank  (const float  *map,
                        gsize         n,
                        int           image,
                        guint        *order,
                        GError      **error);

G_END_DECLS
