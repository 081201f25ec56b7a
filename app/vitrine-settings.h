/* vitrine-settings.h: the application's GSettings, found also when running
 * from the build folder. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The settings, or NULL when the schema is installed nowhere we can see;
 * the workbench then runs on defaults. */
GSettings *vitrine_settings_new (void);

G_END_DECLS
