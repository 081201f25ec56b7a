/* vitrine-sample-list.h: a dataset's samples as a GListModel, for the
 * thumbnail grid, optionally filtered to one class.
 *
 * Items are made when asked for (a grid asks only for what it shows), so a
 * list of 60,000 samples costs an index array, not 60,000 objects. */
#pragma once

#include <gio/gio.h>

#include "io/vt-dataset.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_SAMPLE (vitrine_sample_get_type ())
G_DECLARE_FINAL_TYPE (VitrineSample, vitrine_sample, VITRINE, SAMPLE, GObject)

guint        vitrine_sample_get_index       (VitrineSample *self);
const char  *vitrine_sample_get_class_name  (VitrineSample *self);

#define VITRINE_TYPE_SAMPLE_LIST (vitrine_sample_list_get_type ())
G_DECLARE_FINAL_TYPE (VitrineSampleList, vitrine_sample_list, VITRINE, SAMPLE_LIST, GObject)

VitrineSampleList *vitrine_sample_list_new         (VtDataset          *dataset);
/* Only the samples of class @label; -1 shows all. */
void               vitrine_sample_list_set_class   (VitrineSampleList  *self,
                                                    int                 label);

G_END_DECLS
