/* vitrine-style.h: light and dark styles.
 *
 * "system" follows the desktop's preference, read from the XDG settings
 * portal (org.freedesktop.appearance color-scheme) and followed as it
 * changes; "light" and "dark" override it. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VITRINE_TYPE_STYLE (vitrine_style_get_type ())
G_DECLARE_FINAL_TYPE (VitrineStyle, vitrine_style, VITRINE, STYLE, GObject)

VitrineStyle *vitrine_style_new              (void);
/* "system", "light" or "dark". */
void          vitrine_style_set_scheme       (VitrineStyle *self,
                                              const char   *scheme);
const char   *vitrine_style_get_scheme       (VitrineStyle *self);
gboolean      vitrine_style_get_dark         (VitrineStyle *self);

G_END_DECLS
