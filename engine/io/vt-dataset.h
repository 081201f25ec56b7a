/* vt-dataset.h: a labeled image dataset on disk, whatever its format.
 *
 * vt_dataset_open reads the listing and labels (and, for IDX and CIFAR
 * binary, the pixels, which are small); images in files are decoded only
 * when asked for, on any thread. Formats, told apart by what the path holds:
 *
 *   root/<class>/<image>        ImageFolder; classes and files sorted as
 *                               torchvision sorts them (JPEG, PNG, BMP)
 *   root/{train,test}/<class>/  the same, one folder per split
 *   *-images-idx3-ubyte[.gz]    IDX (MNIST, Fashion-MNIST, EMNIST), with the
 *                               matching *-labels-idx1-ubyte[.gz] beside it;
 *                               a folder of them picks train-/t10k- by split
 *   data_batch_*.bin, test_batch.bin    CIFAR-10 binary
 *   train.bin, test.bin                 CIFAR-100 binary (fine or coarse labels)
 *   *.csv, *.json               a list of (path, label)
 *
 * Class names: the format's own (folder names, batches.meta.txt,
 * *_label_names.txt, the list's labels), else a labels.txt beside the data
 * (one name per line), else the dataset's published names where the files
 * say which (CIFAR-10/100, Fashion-MNIST), else the label numbers. */
#pragma once

#include <gio/gio.h>

#include "io/vt-image.h"

G_BEGIN_DECLS

#define VT_DATASET_ERROR (vt_dataset_error_quark ())
GQuark vt_dataset_error_quark (void);

typedef enum
{
  VT_DATASET_ERROR_OPEN,      /* cannot be read */
  VT_DATASET_ERROR_EMPTY,     /* no class folders, or a class folder without images */
  VT_DATASET_ERROR_FORMAT,    /* a file that is not what its name says (bad magic, counts, sizes) */
  VT_DATASET_ERROR_SPLIT,     /* the split is missing, or needed and not given */
  VT_DATASET_ERROR_MASK,      /* a sample's mask is missing or not a grey image */
} VtDatasetError;

typedef struct
{
  const char  *split;          /* "train" or "test" where the data has both; NULL otherwise */
  gboolean     coarse_labels;  /* CIFAR-100: the 20 superclasses instead of the 100 classes */
  /* Checked while listing an image folder and reading a list, which take
   * seconds at hundreds of thousands of files; may be NULL. */
  GCancellable *cancellable;
} VtDatasetOptions;

typedef struct _VtDataset VtDataset;

struct _VtDataset
{
  /*< public, read-only >*/
  char        *path;           /* as opened */
  const char  *format;         /* "image folder", "IDX", "CIFAR-10 binary", "CIFAR-100 binary", "list" */
  char        *split;          /* or NULL */
  guint        n_samples;
  guint        n_classes;
  char       **class_names;    /* n_classes, NULL-terminated */
  guint       *labels;         /* n_samples */
  guint       *class_counts;   /* n_classes */

  /*< private >*/
  gatomicrefcount  ref_count;
  GPtrArray       *paths;      /* image files, one per sample; or NULL */
  guint8          *pixels;     /* samples in memory: (N, channels, H, W), or NULL */
  int              channels;   /* 1 (grey) or 3 (planar RGB) */
  int              width;
  int              height;
  GPtrArray       *sources;    /* the files read at open (class-name files too,
                                * present or not), for the fingerprint */
  char            *image_root; /* an image folder's root/<split> (or root), or NULL */
  char            *mask_root;  /* its masks/ tree, where there is one, or NULL */
};

VtDataset  *vt_dataset_open          (const char              *path,
                                      const VtDatasetOptions  *options,
                                      GError                 **error);
VtDataset  *vt_dataset_ref           (VtDataset               *self);
void        vt_dataset_unref         (VtDataset               *self);

#define VT_DATASET_SHA256_SIZE 32

/* Decodes sample @index to RGB. Thread-safe. */
VtImage    *vt_dataset_load_image    (VtDataset               *self,
                                      guint                    index,
                                      GError                 **error);
/* The same; for a sample in a file of its own, the SHA-256 of the bytes
 * read goes into @sha256 (VT_DATASET_SHA256_SIZE bytes; untouched when the
 * file cannot be read), for vt_dataset_content_hash. */
VtImage    *vt_dataset_load_image_hashed (VtDataset           *self,
                                          guint                index,
                                          guint8              *sha256,
                                          GError             **error);
/* The image's file, or "<file>[index]" for samples stored together. */
char       *vt_dataset_sample_name   (VtDataset               *self,
                                      guint                    index);
/* The image file of sample @index, or NULL for samples stored together
 * (IDX, CIFAR binary), which have no file of their own. */
const char *vt_dataset_sample_file   (VtDataset               *self,
                                      guint                    index);
/* A hex SHA-256 over every file the samples, labels and class names come
 * from (present or not), with its size, nanosecond modification and change
 * times and inode, and over the labels and class names: it changes when
 * any of them changes. Stats each file, reads none; NULL with @error set
 * when cancelled. */
char       *vt_dataset_fingerprint   (VtDataset               *self,
                                      GCancellable            *cancellable,
                                      GError                 **error);
/* A hex SHA-256 over the bytes of the same files, and the labels and class
 * names. @sample_sha256, when not NULL, holds each sample file's SHA-256 as
 * vt_dataset_load_image_hashed gave it (all zero where unreadable), so
 * that only the other files are read again; NULL reads every file. NULL
 * with an error when cancelled. */
char       *vt_dataset_content_hash  (VtDataset               *self,
                                      const guint8            *sample_sha256,
                                      GCancellable            *cancellable,
                                      GError                 **error);

/* Whether the samples have masks: an image folder opened at root (with a
 * split) or at root/<split>, beside which root/masks/<split> exists. */
gboolean    vt_dataset_has_masks     (VtDataset               *self);
/* The mask file of sample @index: its image's path below root/<split>,
 * below root/masks/<split>, the extension replaced by .png (a JPEG's mask
 * must not be lossy). NULL when the dataset has no masks. */
char       *vt_dataset_mask_path     (VtDataset               *self,
                                      guint                    index);
/* Sample @index's mask at the mask file's own size (no transform applies;
 * the generator writes it at its image's size): (H, W) bytes, 1 where its
 * grey value is at least 128, else 0. A VT_DATASET_ERROR_MASK error naming
 * the file when it is missing, does not decode, or is not grey, or when
 * the dataset has no masks. Thread-safe. */
guint8     *vt_dataset_read_mask     (VtDataset               *self,
                                      guint                    index,
                                      int                     *width,
                                      int                     *height,
                                      GError                 **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtDataset, vt_dataset_unref)

G_END_DECLS
