/* vitrine-settings.c: schema lookup.
 *
 * g_settings_new() aborts on a missing schema; an uninstalled build must
 * still start, so look the schema up first, in the installed locations and
 * then in the build folder's compiled copy. */
#include "vitrine-settings.h"

#include "config.h"

GSettings *
vitrine_settings_new (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaSource) build = NULL;

  if (installed)
    schema = g_settings_schema_source_lookup (installed, APPLICATION_ID, TRUE);
  if (schema == NULL)
    {
      build = g_settings_schema_source_new_from_directory (BUILD_SCHEMA_DIR, installed, FALSE, NULL);
      if (build)
        schema = g_settings_schema_source_lookup (build, APPLICATION_ID, TRUE);
    }
  if (schema == NULL)
    {
      g_debug ("Schema %s not found; running on defaults", APPLICATION_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}
