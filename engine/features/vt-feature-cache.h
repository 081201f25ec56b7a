/* vt-feature-cache.h: the folder where extracted feature stores are kept
 * for reuse, how much it holds, and clearing it.
 *
 * Only files Vitrine wrote there count: stores named as
 * vt_feature_source_cache_name names them ("<32 hex digits>.safetensors")
 * and the temporary files of their atomic writes. Anything else in the
 * folder (a file the user put there, a symbolic link of any name, a
 * folder) is neither counted nor removed, and no link is followed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $XDG_CACHE_HOME/vitrine/features (~/.cache/vitrine/features). */
char     *vt_feature_cache_dir        (void);

/* Whether @name (a file name, no folder) is one the cache writes. */
gboolean  vt_feature_cache_owns_name  (const char *name);

typedef struct
{
  guint    n_stores;   /* finished stores */
  guint    n_partial;  /* temporary files of writes, finished or not */
  guint64  bytes;      /* the disk space of both (allocated blocks) */
} VtFeatureCacheUsage;

/* What the cache in @dir holds. A folder that does not exist holds
 * nothing; one that cannot be read is an error in G_FILE_ERROR that names
 * it. */
gboolean  vt_feature_cache_measure    (const char           *dir,
                                       VtFeatureCacheUsage  *usage,
                                       GError              **error);

/* Removes the cache's stores from @dir, and the temporary files last
 * changed before @partial_before (g_get_real_time microseconds: younger
 * ones may belong to an extraction still writing). @removed (may be NULL)
 * gets how many files went. The first file that cannot be removed stops
 * it with an error that names that file. */
gboolean  vt_feature_cache_clear      (const char  *dir,
                                       gint64       partial_before,
                                       guint       *removed,
                                       GError     **error);

G_END_DECLS
