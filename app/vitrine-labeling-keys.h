/* vitrine-labeling-keys.h: the Labeling queue's remappable keys.
 *
 * One GSettings key per action holds an accelerator in
 * gtk_accelerator_parse's form ("space", "<Shift>a"). The queue matches
 * presses against them, the Preferences edit them and the shortcuts
 * window shows them, all from the table in vitrine-labeling-keys.c. The
 * digits that name classes are not remappable. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  VITRINE_LABELING_ACCEPT,
  VITRINE_LABELING_SKIP,
  VITRINE_LABELING_UNDO,
  VITRINE_LABELING_PREVIOUS,
  VITRINE_LABELING_NEXT,
  VITRINE_LABELING_HELP,
  VITRINE_LABELING_N_ACTIONS,
} VitrineLabelingAction;

typedef struct
{
  guint           keyval;   /* lower case; 0 for none */
  GdkModifierType mods;
} VitrineLabelingKey;

/* The GSettings key of @action ("labeling-key-skip"), its default
 * accelerator (the schema's), and what it does, translated. */
const char *vitrine_labeling_action_setting     (VitrineLabelingAction action);
const char *vitrine_labeling_action_default     (VitrineLabelingAction action);
const char *vitrine_labeling_action_title       (VitrineLabelingAction action);
/* The id of its row in the shortcuts window (resources/gtk/help-overlay.ui). */
const char *vitrine_labeling_action_overlay_id  (VitrineLabelingAction action);

/* Parses @accelerator; FALSE (and *key zero) when it names no key. */
gboolean    vitrine_labeling_key_parse          (const char         *accelerator,
                                                 VitrineLabelingKey *key);
/* Every action's key from @settings, or the defaults where @settings is
 * NULL or holds what does not parse. */
void        vitrine_labeling_keys_read          (GSettings          *settings,
                                                 VitrineLabelingKey  keys[VITRINE_LABELING_N_ACTIONS]);
/* Shows in @overlay (the shortcuts window) each action's key from
 * @settings, kept up to date; the defaults where @settings is NULL. */
void        vitrine_labeling_keys_bind_overlay  (GtkShortcutsWindow *overlay,
                                                 GSettings          *settings);
/* The action a press is, or -1. */
int         vitrine_labeling_keys_match         (const VitrineLabelingKey keys[VITRINE_LABELING_N_ACTIONS],
                                                 guint                    keyval,
                                                 GdkModifierType          state);

G_END_DECLS
