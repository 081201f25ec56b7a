/* vitrine-preferences.h: the Preferences window (main menu, Ctrl+comma):
 * the engine's thread count, kept in the GSettings key "threads" and
 * applied by the application; the feature-store cache's folder, what it
 * holds, and Clear Cache, which asks first; the Labeling queue's keys
 * (labeling-key-*), an entry per action. */
#pragma once

#include <gtk/gtk.h>

#include "vitrine-labeling-keys.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_PREFERENCES (vitrine_preferences_get_type ())
G_DECLARE_FINAL_TYPE (VitrinePreferences, vitrine_preferences, VITRINE, PREFERENCES, GtkWindow)

/* @settings: the application's (NULL without the schema: the thread count
 * then goes to the engine only, for this session); @cache_dir: the feature
 * cache's folder. */
VitrinePreferences *vitrine_preferences_new (GtkWindow  *parent,
                                             GSettings  *settings,
                                             const char *cache_dir);
/* Reads again what the cache holds (the window also does as the folder
 * changes). */
void            vitrine_preferences_update_cache           (VitrinePreferences *self);

/* For tests: the controls, and what the size line says. */
GtkCheckButton *vitrine_preferences_get_default_threads_button (VitrinePreferences *self);
GtkSpinButton  *vitrine_preferences_get_threads_button     (VitrinePreferences *self);
GtkButton      *vitrine_preferences_get_clear_cache_button (VitrinePreferences *self);
GtkEditable    *vitrine_preferences_get_labeling_key_entry (VitrinePreferences   *self,
                                                            VitrineLabelingAction action);
const char     *vitrine_preferences_get_cache_location     (VitrinePreferences *self);
const char     *vitrine_preferences_get_cache_size         (VitrinePreferences *self);

G_END_DECLS
