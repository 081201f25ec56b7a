/* vt-image-folder.h: a labeled image folder, root/<class>/<image>, with
 * classes and files in sorted order as torchvision's ImageFolder sorts them.
 * (The full dataset readers, IDX and CIFAR binary among them, come with the
 * extraction pipeline; this is the part evaluation needs.) */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VT_DATASET_ERROR (vt_dataset_error_quark ())
GQuark vt_dataset_error_quark (void);

typedef enum
{
  VT_DATASET_ERROR_OPEN,
  VT_DATASET_ERROR_EMPTY,     /* no class folders, or a class folder without images */
} VtDatasetError;

typedef struct
{
  char       *root;
  char      **classes;        /* sorted */
  guint       n_classes;
  GPtrArray  *paths;          /* char*, class by class, sorted within */
  GArray     *labels;         /* guint per path */
} VtImageFolder;

VtImageFolder *vt_image_folder_open  (const char     *root,
                                      GError        **error);
void           vt_image_folder_free  (VtImageFolder  *folder);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtImageFolder, vt_image_folder_free)

G_END_DECLS
