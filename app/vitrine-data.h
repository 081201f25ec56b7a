/* vitrine-data.h: files the workbench ships (the CLIP vocabulary), found
 * installed or, for an uninstalled build, in the source tree. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The path of data/@relative, or NULL when neither copy exists. */
char *vitrine_find_data_file (const char *relative);

G_END_DECLS
