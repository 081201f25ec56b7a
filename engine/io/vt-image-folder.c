/* vt-image-folder.c: the ImageFolder layout, root/<class>/<image>, with
 * classes and files in sorted order as torchvision's ImageFolder sorts them;
 * and the masks/ tree beside it. */
#include "vt-dataset-readers.h"

#include <string.h>

/* torchvision's IMG_EXTENSIONS, lower-cased. */
static gboolean
is_image_name (const char *name)
{
  static const char *extensions[] = { ".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp" };
  g_autofree char *lower = g_ascii_strdown (name, -1);

  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    if (g_str_has_suffix (lower, extensions[i]))
      return TRUE;
  return FALSE;
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Entries stat'ed between two looks at the cancellable. */
#define CHECK_ENTRIES 256

static GPtrArray *
sorted_entries (const char    *dir,
                gboolean       directories,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  GDir *d = g_dir_open (dir, 0, &local_error);
  GPtrArray *names;
  const char *name;

  if (d == NULL)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_OPEN, "%s", local_error->message);
      return NULL;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  for (guint seen = 0; (name = g_dir_read_name (d)) != NULL; seen++)
    {
      g_autofree char *path = NULL;

      if (seen % CHECK_ENTRIES == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          g_dir_close (d);
          g_ptr_array_unref (names);
          return NULL;
        }
      if (name[0] == '.')
        continue;
      path = g_build_filename (dir, name, NULL);
      if (directories ? g_file_test (path, G_FILE_TEST_IS_DIR)
                      : g_file_test (path, G_FILE_TEST_IS_REGULAR) && is_image_name (name))
        g_ptr_array_add (names, g_strdup (name));
    }
  g_dir_close (d);
  g_ptr_array_sort (names, compare_strings);
  return names;
}

gboolean
vt_dataset_read_image_folder (VtDataset     *self,
                              const char    *root,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GPtrArray) classes = sorted_entries (root, TRUE, cancellable, error);
  g_autoptr(GArray) labels = g_array_new (FALSE, FALSE, sizeof (guint));

  if (classes == NULL)
    return FALSE;
  if (classes->len == 0)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_EMPTY,
                   "%s: no class folders (expected root/<class>/<image>)", root);
      return FALSE;
    }
  self->n_classes = classes->len;
  self->paths = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (classes, NULL);
  self->class_names = (char **) g_ptr_array_steal (classes, NULL);

  for (guint c = 0; c < self->n_classes; c++)
    {
      g_autofree char *dir = g_build_filename (root, self->class_names[c], NULL);
      g_autoptr(GPtrArray) files = sorted_entries (dir, FALSE, cancellable, error);

      if (files == NULL)
        return FALSE;
      if (files->len == 0)
        {
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_EMPTY,
                       "%s: the class folder holds no images", dir);
          return FALSE;
        }
      for (guint i = 0; i < files->len; i++)
        {
          g_ptr_array_add (self->paths, g_build_filename (dir, g_ptr_array_index (files, i), NULL));
          g_array_append_val (labels, c);
        }
    }
  self->n_samples = labels->len;
  self->labels = (guint *) g_array_free (g_steal_pointer (&labels), FALSE);
  self->image_root = g_strdup (root);
  /* "root/train/" is "root/train": its parent is root. */
  for (gsize n = strlen (self->image_root); n > 1 && G_IS_DIR_SEPARATOR (self->image_root[n - 1]); n--)
    self->image_root[n - 1] = '\0';
  {
    /* root/<split> has its masks in root/masks/<split>. */
    g_autofree char *parent = g_path_get_dirname (self->image_root);
    g_autofree char *split = g_path_get_basename (self->image_root);
    g_autofree char *masks = g_build_filename (parent, "masks", split, NULL);

    if (g_file_test (masks, G_FILE_TEST_IS_DIR))
      self->mask_root = g_steal_pointer (&masks);
  }
  return TRUE;
}

gboolean
vt_dataset_has_masks (VtDataset *self)
{
  return self->mask_root != NULL;
}

char *
vt_dataset_mask_path (VtDataset *self,
                      guint      index)
{
  const char *image;
  g_autofree char *relative = NULL;
  g_autofree char *named = NULL;
  char *dot;

  g_return_val_if_fail (index < self->n_samples, NULL);
  if (self->mask_root == NULL)
    return NULL;
  /* Every path is image_root/<class>/<file> (vt_dataset_read_image_folder). */
  image = g_ptr_array_index (self->paths, index);
  image += strlen (self->image_root);
  while (G_IS_DIR_SEPARATOR (*image))
    image++;
  relative = g_strdup (image);
  dot = strrchr (relative, '.');
  if (dot != NULL && strchr (dot, G_DIR_SEPARATOR) == NULL)
    *dot = '\0';
  named = g_strconcat (relative, ".png", NULL);
  return g_build_filename (self->mask_root, named, NULL);
}

guint8 *
vt_dataset_read_mask (VtDataset  *self,
                      guint       index,
                      int        *width,
                      int        *height,
                      GError    **error)
{
  g_autofree char *path = vt_dataset_mask_path (self, index);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(VtImage) image = NULL;
  gsize n;
  guint8 *mask;

  g_return_val_if_fail (index < self->n_samples, NULL);
  if (path == NULL)
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK,
                   "%s: the dataset has no masks (no masks/ folder beside its split folders)", self->path);
      return NULL;
    }
  if (!(image = vt_image_load (path, &local_error)))
    {
      g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK, "the mask of %s: %s",
                   (const char *) g_ptr_array_index (self->paths, index), local_error->message);
      return NULL;
    }
  n = (gsize) image->width * image->height;
  mask = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *rgb = image->rgb + 3 * i;

      if (rgb[0] != rgb[1] || rgb[0] != rgb[2])
        {
          g_set_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK,
                       "%s: not a mask: pixel (%zu, %zu) is not grey", path, i % image->width, i / image->width);
          g_free (mask);
          return NULL;
        }
      mask[i] = rgb[0] >= 128;
    }
  *width = image->width;
  *height = image->height;
  return mask;
}
