/* vitrine-thumbnails.h: small pictures of a dataset's samples for the grid,
 * decoded off the main thread and kept in a bounded cache.
 *
 * A grid cell binds its GtkPicture to a sample; the picture gets its
 * thumbnail at once when cached, else when a pool thread has decoded it,
 * if the cell still shows that sample by then; a sample that cannot be
 * decoded gets a mark instead. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"

G_BEGIN_DECLS

typedef struct _VitrineThumbnails VitrineThumbnails;

VitrineThumbnails *vitrine_thumbnails_new     (VtDataset          *dataset,
                                               int                 size);
/* Stops the decoders; thumbnails still in flight are dropped. */
void               vitrine_thumbnails_free    (VitrineThumbnails  *self);
void               vitrine_thumbnails_bind    (VitrineThumbnails  *self,
                                               GtkPicture         *picture,
                                               guint               index);
void               vitrine_thumbnails_unbind  (VitrineThumbnails  *self,
                                               GtkPicture         *picture);
/* Why sample @index's thumbnail could not be decoded (its cell shows a
 * "broken image" icon, styled "unreadable"), or NULL: not tried yet, or
 * fine. */
const char        *vitrine_thumbnails_get_error (VitrineThumbnails *self,
                                                 guint              index);
/* Thumbnails decoded and not yet shown or dropped. For tests. */
guint              vitrine_thumbnails_get_n_pending (VitrineThumbnails *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VitrineThumbnails, vitrine_thumbnails_free)

G_END_DECLS
