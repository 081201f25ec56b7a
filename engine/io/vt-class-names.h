/* vt-class-names.h: class names that come from outside a model or dataset
 * file: the published lists of the standard datasets, and labels files. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  VT_CLASS_NAMES_CIFAR10,
  VT_CLASS_NAMES_CIFAR100,          /* the 100 fine classes, in label order */
  VT_CLASS_NAMES_CIFAR100_COARSE,   /* the 20 superclasses */
  VT_CLASS_NAMES_FASHION_MNIST,
} VtClassNames;

char **vt_class_names_published  (VtClassNames  which);
/* One name per line (a labels.txt, batches.meta.txt): the names if the file
 * holds exactly @n of them, else NULL. */
char **vt_class_names_read_file  (const char   *path,
                                  guint         n);

G_END_DECLS
