/* vitrine-accessible.h: accessible names without mnemonic underscores.
 *
 * GTK 4.8 gives a button whose label has a mnemonic ("_Run") that label,
 * underscore and all, as its accessible name, followed by its label
 * child's text: screen readers said "_Run Run". A check button's name kept
 * the underscore too, and a menu button with a label had no name of its
 * own (it was read as "GtkMenuButton"). This gives each such button under
 * a root the label as shown ("Run") as its only name, again whenever its
 * label changes. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Every GtkButton, GtkCheckButton and labelled GtkMenuButton under @root (and @root itself) with
 * a mnemonic label, now and as their labels change. Widgets added under
 * @root later are not seen: call it again for them. */
void   vitrine_accessible_fix_mnemonics (GtkWidget  *root);
/* @label without its mnemonic underscores ("__" is one underscore). */
char  *vitrine_accessible_strip_mnemonic (const char *label);

G_END_DECLS
