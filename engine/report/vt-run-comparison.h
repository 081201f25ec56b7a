/* vt-run-comparison.h: runs side by side, as W&B's runs table shows them.
 *
 * Each run is its results.json. A run's settings are its spec's steps (the
 * echo results.json keeps), its results the steps' entries; both are
 * flattened to one row per value, named by step id and key path
 * ("train.lr", "train.transform.resize", "evaluate.top1"). Lists of plain
 * values are one value, their items joined by ", "; of a list of objects
 * (epochs, stages, rounds) the last one stands for it, where the run
 * ended ("train.epochs[-1].test_accuracy"); lists of lists (a confusion
 * matrix) and the run's own bookkeeping (start time, BLAS core) are left
 * out: a table of them would be a figure, not a row. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char       *key;        /* "evaluate.top1" */
  gboolean    setting;    /* from the spec; else a result */
  char      **values;     /* n_runs of them; NULL where the run has no such key */
  guint       n_runs;
  gboolean    differs;    /* not every run has the same value */
} VtRunComparisonRow;

/* The rows for @n_runs results.json documents: the settings first, then
 * the results, each in the order the first run to have it gives. Numbers
 * are written as the shortest text that reads back to the same double. */
GPtrArray  *vt_run_comparison_new     (JsonNode * const  *results,
                                       guint              n_runs);

/* The table as CSV: a header "key,kind,<name 1>,…,<name n>" ("kind" is
 * "setting" or "result"), then a row each; with @only_differences, only
 * the rows whose values differ. */
char       *vt_run_comparison_to_csv  (GPtrArray         *rows,
                                       const char * const *run_names,
                                       guint              n_runs,
                                       gboolean           only_differences);

G_END_DECLS
