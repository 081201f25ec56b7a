/* vitrine-data.c: locating shipped data. */
#include "vitrine-data.h"

#include "config.h"

char *
vitrine_find_data_file (const char *relative)
{
  const char *roots[] = { VITRINE_DATADIR, SOURCE_DATA_DIR };

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    {
      g_autofree char *path = g_build_filename (roots[i], relative, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}
