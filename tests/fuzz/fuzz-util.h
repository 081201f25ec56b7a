/* fuzz-util.h: what the harnesses share.
 *
 * Parsers that only take a path get the input written to a file in one temp
 * folder per process, made on first use, reused for every input and removed
 * at exit. Inputs that stand for several files are cut at FUZZ_SPLIT, a
 * marker in each dictionary, so the mutator can move and add cuts. */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define FUZZ_SPLIT "@@SPLIT@@"

int           LLVMFuzzerTestOneInput  (const uint8_t *data,
                                       size_t         size);

/* The per-process temp folder. */
const char   *fuzz_temp_dir           (void);
/* Writes @size bytes to @name in the temp folder (replacing what was there)
 * and returns the file's path, owned by the caller. A NULL @data removes
 * the file instead, so a part the input lacks is missing, not stale. */
char         *fuzz_write_file         (const char    *name,
                                       const void    *data,
                                       size_t         size);
/* Cuts @data at FUZZ_SPLIT into at most @n_parts parts (the last one keeps
 * any further markers). Returns how many parts there are; missing ones are
 * NULL with size 0. */
guint         fuzz_split              (const uint8_t *data,
                                       size_t         size,
                                       guint          n_parts,
                                       const uint8_t **parts,
                                       size_t        *sizes);
/* An environment variable the fuzz tests set (VITRINE_FIXTURES, …); aborts
 * with its name when unset, since a harness without its inputs tests nothing. */
const char   *fuzz_getenv             (const char    *name);
/* Whether a failure's message begins with the path it names. */
gboolean      fuzz_error_names        (const GError  *error,
                                       const char    *path);

G_END_DECLS
