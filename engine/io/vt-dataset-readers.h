/* vt-dataset-readers.h: the format readers behind vt_dataset_open, one file
 * each. Private to engine/io. Each fills paths or pixels, labels and (where
 * the format has them) class names of @self, and adds what it read to
 * self->sources; vt_dataset_open does the rest. */
#pragma once

#include "vt-dataset.h"

G_BEGIN_DECLS

/* The most pixel bytes a dataset decoded into memory (IDX, CIFAR binary)
 * may take: 16 GiB, over a hundred times Fashion-MNIST's and CIFAR-10's. */
#define VT_DATASET_MAX_PIXEL_BYTES ((guint64) 16 << 30)

gboolean  vt_dataset_read_image_folder  (VtDataset     *self,
                                         const char    *root,
                                         GCancellable  *cancellable,
                                         GError       **error);
gboolean  vt_dataset_read_idx           (VtDataset   *self,
                                         const char  *images_path,
                                         const char  *labels_path,
                                         GError     **error);
/* CIFAR-10 (one label byte) or CIFAR-100 (coarse, fine), over @files in order. */
gboolean  vt_dataset_read_cifar         (VtDataset   *self,
                                         char       **files,
                                         gboolean     cifar100,
                                         gboolean     coarse_labels,
                                         GError     **error);
gboolean  vt_dataset_read_list          (VtDataset     *self,
                                         const char    *list_path,
                                         GCancellable  *cancellable,
                                         GError       **error);

/* Labels given as strings: classes sorted (numerically where every label
 * is a non-negative integer), labels set to their indices. */
void      vt_dataset_set_string_labels  (VtDataset   *self,
                                         GPtrArray   *label_names);

G_END_DECLS
