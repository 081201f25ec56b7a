/* vt-progress.h: how long work reports how far it got.
 *
 * The callback runs on the worker's thread; a GUI stores the values and
 * hands them to the main context itself. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @fraction in [0, 1]; @message may be NULL. */
typedef void (*VtProgressFunc) (double      fraction,
                                const char *message,
                                gpointer    user_data);

G_END_DECLS
