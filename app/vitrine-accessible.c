/* vitrine-accessible.c: accessible names without mnemonic underscores. */
#include "vitrine-accessible.h"

#include <string.h>

char *
vitrine_accessible_strip_mnemonic (const char *label)
{
  GString *out = g_string_sized_new (label ? strlen (label) : 0);

  for (const char *p = label; p && *p; p++)
    {
      if (*p == '_')
        {
          if (p[1] != '_')
            continue;
          p++;
        }
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The label as shown becomes the name; the relation to the label child,
 * which would say it a second time, goes. */
static void
name_from_label (GtkWidget *widget)
{
  const char *label = NULL;
  gboolean mnemonic = FALSE;
  g_autofree char *shown = NULL;

  if (GTK_IS_LABEL (widget) && GTK_IS_DROP_DOWN (gtk_label_get_mnemonic_widget (GTK_LABEL (widget))))
    {
      /* A drop-down's own button takes the focus but had no name ("GtkToggleButton"):
       * it is named by the drop-down's label too. */
      for (GtkWidget *child = gtk_widget_get_first_child (gtk_label_get_mnemonic_widget (GTK_LABEL (widget)));
           child; child = gtk_widget_get_next_sibling (child))
        if (GTK_IS_TOGGLE_BUTTON (child))
          gtk_accessible_update_relation (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_RELATION_LABELLED_BY, widget, NULL, -1);
      return;
    }
  if (GTK_IS_MENU_BUTTON (widget))
    {
      /* It names its inner button, not itself: a name of its own. */
      label = gtk_menu_button_get_label (GTK_MENU_BUTTON (widget));
      if (label != NULL)
        {
          shown = gtk_menu_button_get_use_underline (GTK_MENU_BUTTON (widget))
                  ? vitrine_accessible_strip_mnemonic (label) : g_strdup (label);
          gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, shown, -1);
        }
      return;
    }
  if (GTK_IS_BUTTON (widget))
    {
      label = gtk_button_get_label (GTK_BUTTON (widget));
      mnemonic = gtk_button_get_use_underline (GTK_BUTTON (widget));
    }
  else if (GTK_IS_CHECK_BUTTON (widget))
    {
      label = gtk_check_button_get_label (GTK_CHECK_BUTTON (widget));
      mnemonic = gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (widget));
    }
  if (!mnemonic || label == NULL || strchr (label, '_') == NULL)
    return;
  shown = vitrine_accessible_strip_mnemonic (label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, shown, -1);
  if (GTK_IS_BUTTON (widget))
    gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static void
on_label_changed (GtkWidget *widget)
{
  name_from_label (widget);
}

void
vitrine_accessible_fix_mnemonics (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if ((GTK_IS_BUTTON (root) || GTK_IS_CHECK_BUTTON (root) || GTK_IS_MENU_BUTTON (root)) &&
      !g_object_get_data (G_OBJECT (root), "vitrine-accessible-mnemonic"))
    {
      g_object_set_data (G_OBJECT (root), "vitrine-accessible-mnemonic", GINT_TO_POINTER (TRUE));
      g_signal_connect (root, "notify::label", G_CALLBACK (on_label_changed), NULL);
      g_signal_connect (root, "notify::use-underline", G_CALLBACK (on_label_changed), NULL);
    }
  name_from_label (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    vitrine_accessible_fix_mnemonics (child);
}
