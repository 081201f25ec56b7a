/* vitrine-labeling-keys.c: the Labeling queue's remappable keys, one table. */
#include "vitrine-labeling-keys.h"

#include <glib/gi18n.h>

static const struct
{
  const char *setting;
  const char *fallback;     /* the schema's default, for a run without the schema */
  const char *title;
  const char *overlay_id;
} actions[VITRINE_LABELING_N_ACTIONS] = {
  /* Translators: shortcut description in the Labeling queue */
  [VITRINE_LABELING_ACCEPT]   = { "labeling-key-accept", "a", N_("Accept the model’s guess"), "labeling-accept" },
  /* Translators: shortcut description in the Labeling queue */
  [VITRINE_LABELING_SKIP]     = { "labeling-key-skip", "space", N_("Skip the sample"), "labeling-skip" },
  /* Translators: shortcut description in the Labeling queue */
  [VITRINE_LABELING_UNDO]     = { "labeling-key-undo", "BackSpace", N_("Undo the last decision"), "labeling-undo" },
  /* Translators: shortcut description in the Labeling queue */
  [VITRINE_LABELING_PREVIOUS] = { "labeling-key-previous", "Left", N_("Previous sample"), "labeling-previous" },
  /* Translators: shortcut description in the Labeling queue */
  [VITRINE_LABELING_NEXT]     = { "labeling-key-next", "Right", N_("Next sample"), "labeling-next" },
  /* Translators: shortcut description in the Labeling queue */
  [VITRINE_LABELING_HELP]     = { "labeling-key-help", "h", N_("Show the queue’s keys"), "labeling-help" },
};

const char *
vitrine_labeling_action_setting (VitrineLabelingAction action)
{
  g_return_val_if_fail (action < VITRINE_LABELING_N_ACTIONS, NULL);
  return actions[action].setting;
}

const char *
vitrine_labeling_action_default (VitrineLabelingAction action)
{
  g_return_val_if_fail (action < VITRINE_LABELING_N_ACTIONS, NULL);
  return actions[action].fallback;
}

const char *
vitrine_labeling_action_title (VitrineLabelingAction action)
{
  g_return_val_if_fail (action < VITRINE_LABELING_N_ACTIONS, NULL);
  return _(actions[action].title);
}

const char *
vitrine_labeling_action_overlay_id (VitrineLabelingAction action)
{
  g_return_val_if_fail (action < VITRINE_LABELING_N_ACTIONS, NULL);
  return actions[action].overlay_id;
}

gboolean
vitrine_labeling_key_parse (const char         *accelerator,
                            VitrineLabelingKey *key)
{
  guint keyval = 0;
  GdkModifierType mods = 0;

  key->keyval = 0;
  key->mods = 0;
  if (accelerator == NULL || !gtk_accelerator_parse (accelerator, &keyval, &mods) || keyval == 0)
    return FALSE;
  key->keyval = gdk_keyval_to_lower (keyval);
  key->mods = mods & gtk_accelerator_get_default_mod_mask ();
  return TRUE;
}

void
vitrine_labeling_keys_read (GSettings          *settings,
                            VitrineLabelingKey  keys[VITRINE_LABELING_N_ACTIONS])
{
  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    {
      g_autofree char *stored = settings ? g_settings_get_string (settings, actions[a].setting) : NULL;

      if (!vitrine_labeling_key_parse (stored, &keys[a]))
        vitrine_labeling_key_parse (actions[a].fallback, &keys[a]);
    }
}

int
vitrine_labeling_keys_match (const VitrineLabelingKey keys[VITRINE_LABELING_N_ACTIONS],
                             guint                    keyval,
                             GdkModifierType          state)
{
  guint lower = gdk_keyval_to_lower (keyval);
  GdkModifierType mods = state & gtk_accelerator_get_default_mod_mask ();

  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    if (keys[a].keyval != 0 && keys[a].keyval == lower && keys[a].mods == mods)
      return (int) a;
  return -1;
}

/* The stored accelerator as the shortcuts window writes it; the default
 * where it does not parse, as the queue reads it. */
static gboolean
accelerator_shown (GValue   *value,
                   GVariant *variant,
                   gpointer  data)
{
  VitrineLabelingAction action = GPOINTER_TO_UINT (data);
  const char *stored = g_variant_get_string (variant, NULL);
  VitrineLabelingKey key;

  g_value_set_string (value, vitrine_labeling_key_parse (stored, &key) ? stored : actions[action].fallback);
  return TRUE;
}

static void
bind_shortcuts (GtkWidget *widget,
                GSettings *settings)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      const char *id = gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget));

      for (guint a = 0; id != NULL && a < VITRINE_LABELING_N_ACTIONS; a++)
        if (g_str_equal (id, actions[a].overlay_id))
          {
            if (settings)
              g_settings_bind_with_mapping (settings, actions[a].setting, widget, "accelerator", G_SETTINGS_BIND_GET,
                                            accelerator_shown, NULL, GUINT_TO_POINTER (a), NULL);
            else
              g_object_set (widget, "accelerator", actions[a].fallback, NULL);
          }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child; child = gtk_widget_get_next_sibling (child))
    bind_shortcuts (child, settings);
}

void
vitrine_labeling_keys_bind_overlay (GtkShortcutsWindow *overlay,
                                    GSettings          *settings)
{
  g_return_if_fail (GTK_IS_SHORTCUTS_WINDOW (overlay));
  bind_shortcuts (GTK_WIDGET (overlay), settings);
}
