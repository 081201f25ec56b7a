/* vt-label-export.h: the labels a person gave, as a dataset: a CSV list
 * ("path,label", the format engine/io/vt-sample-list.c reads) or its JSON
 * form ([{"path": …, "label": …}]), one entry per labeled sample in the
 * order the samples were first decided; skipped samples are left out.
 * Paths are absolute, labels are class names. */
#pragma once

#include "io/vt-dataset.h"
#include "vt-label-journal.h"

G_BEGIN_DECLS

/* @decisions name samples by their index in @dataset; @class_names (K)
 * are the store's. NULL with an error in VT_ACTIVE_ERROR when a sample has
 * no file of its own (IDX, CIFAR binary), is outside the dataset, or a
 * path or name holds a comma or a line break (the CSV has no quoting). */
char  *vt_label_export_csv   (const VtLabelDecision  *decisions,
                              guint                   n,
                              VtDataset              *dataset,
                              const char * const     *class_names,
                              guint                   n_classes,
                              GError                **error);
char  *vt_label_export_json  (const VtLabelDecision  *decisions,
                              guint                   n,
                              VtDataset              *dataset,
                              const char * const     *class_names,
                              guint                   n_classes,
                              GError                **error);

G_END_DECLS
