/* vitrine-batch.h: `vitrine --batch SPEC.json [--output DIR]`, headless. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit statuses of --batch. */
enum
{
  VITRINE_BATCH_OK = 0,
  VITRINE_BATCH_RUN_FAILED = 1,
  VITRINE_BATCH_BAD_SPEC = 2,
};

/* Runs the spec; progress goes to stderr as JSON lines. @output_dir NULL
 * means a folder named after the spec, beside it. Returns an exit status. */
int    vitrine_batch_run              (const char *spec_path,
                                       const char *output_dir);

/* "runs/inspect.json" -> "runs/inspect" */
char  *vitrine_batch_default_output   (const char *spec_path);

G_END_DECLS
