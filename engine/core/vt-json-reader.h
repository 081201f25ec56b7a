/* vt-json-reader.h: typed, path-aware reading of JSON objects.
 *
 * Every getter names the JSON path of what it rejects, so a spec author sees
 * "$.steps[1].formats[2]: expected one of png, svg, pdf" and not a crash or
 * a silently ignored key. All return FALSE with @error set on bad input, a
 * VT_JSON_ERROR_SHAPE error that the file's reader (the spec, the workspace
 * file) files under its own domain. Here in core/ so that readers in io/
 * and run/ share one set. */
#pragma once

#include <json-glib/json-glib.h>

#include "core/vt-json.h"

G_BEGIN_DECLS

/* Rejects any member of @object not in the NULL-terminated @allowed. */
gboolean vt_json_check_keys    (JsonObject          *object,
                                const char          *path,
                                const char * const  *allowed,
                                GError             **error);

/* Getters leave *out untouched when the key is absent and !required. */
gboolean vt_json_get_string    (JsonObject   *object,
                                const char   *path,
                                const char   *key,
                                gboolean      required,
                                char        **out,
                                GError      **error);
gboolean vt_json_get_uint      (JsonObject   *object,
                                const char   *path,
                                const char   *key,
                                guint         min,
                                guint         max,
                                guint        *out,
                                GError      **error);
gboolean vt_json_get_strv      (JsonObject   *object,
                                const char   *path,
                                const char   *key,
                                char       ***out,
                                GError      **error);
/* A list of words, each one of @choices (NULL-terminated); *out is the OR
 * of 1 << index over the words given. */
gboolean vt_json_get_flags     (JsonObject          *object,
                                const char          *path,
                                const char          *key,
                                const char * const  *choices,
                                guint               *out,
                                GError             **error);

/* Three numbers ([r, g, b]), each from @min to @max (checked before the
 * conversion to float, undefined beyond its range). *given tells whether
 * the key was there. */
gboolean vt_json_get_triple    (JsonObject   *object,
                                const char   *path,
                                const char   *key,
                                double        min,
                                double        max,
                                float         out[3],
                                gboolean     *given,
                                GError      **error);

gboolean vt_json_get_bool      (JsonObject   *object,
                                const char   *path,
                                const char   *key,
                                gboolean     *out,
                                GError      **error);
/* A number in (@above, @max]. */
gboolean vt_json_get_number    (JsonObject   *object,
                                const char   *path,
                                const char   *key,
                                double        above,
                                double        max,
                                double       *out,
                                GError      **error);
/* One word of @choices (NULL-terminated); *out is its index. */
gboolean vt_json_get_choice    (JsonObject          *object,
                                const char          *path,
                                const char          *key,
                                const char * const  *choices,
                                int                 *out,
                                GError             **error);

G_END_DECLS
