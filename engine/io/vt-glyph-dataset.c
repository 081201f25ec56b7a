/* vt-glyph-dataset.c: drawing the placements, rendering them in parallel,
 * and writing the tree into a temporary folder renamed into place. */
#include "vt-glyph-dataset.h"
#include "core/vt-file-writer.h"
#include "core/vt-parallel.h"
#include "core/vt-random.h"
#include "io/vt-dataset.h"
#include "io/vt-png-writer.h"
#include "io/vt-resize.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-glyph-dataset-error-quark, vt_glyph_dataset_error)

#define GLYPHS_JSON "glyphs.json"
#define PLACEMENTS_CSV "placements.csv"
#define MAX_SIZE 4096
#define MAX_IMAGES 10000000
/* Images rendered between two looks at Cancel and two progress events. */
#define BLOCK 256

static const char * const split_names[2] = { "train", "test" };

void
vt_glyph_dataset_options_init (VtGlyphDatasetOptions *options)
{
  *options = (VtGlyphDatasetOptions) {
    .glyphs = g_strdup (VT_GLYPH_DATASET_DEFAULT_GLYPHS),
    .size = 32,
    .glyph_min = 16,
    .glyph_max = 24,
    .n_train = 5000,
    .n_test = 1000,
    .agreement = 0.9,
    .threshold = 32,
    .random_color = TRUE,
    .color = { 255, 255, 255 },
  };
}

void
vt_glyph_dataset_options_clear (VtGlyphDatasetOptions *options)
{
  g_clear_pointer (&options->glyphs, g_free);
  g_clear_pointer (&options->backgrounds, g_free);
}

static gboolean
option_error (GError     **error,
              const char  *prefix,
              const char  *key,
              const char  *format,
              ...) G_GNUC_PRINTF (4, 5);

static gboolean
option_error (GError     **error,
              const char  *prefix,
              const char  *key,
              const char  *format,
              ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OPTION, "%s%s: %s",
               prefix ? prefix : "", key, what);
  return FALSE;
}

gboolean
vt_glyph_dataset_check_options (const VtGlyphDatasetOptions  *o,
                                const char                   *prefix,
                                GError                      **error)
{
  if (o->glyphs == NULL)
    return option_error (error, prefix, "glyphs", "required (an IDX folder with train and test files)");
  if (o->backgrounds == NULL)
    return option_error (error, prefix, "backgrounds", "required (a dataset with train and test splits, "
                         "such as CIFAR-10)");
  if (o->size < 8 || o->size > MAX_SIZE)
    return option_error (error, prefix, "size", "%u is not in [8, %u]", o->size, MAX_SIZE);
  if (o->glyph_min < 1 || o->glyph_min > o->glyph_max)
    return option_error (error, prefix, "glyph_min", "%u must be from 1 to glyph_max (%u)", o->glyph_min,
                         o->glyph_max);
  if (o->glyph_max > o->size)
    return option_error (error, prefix, "glyph_max", "%u is larger than the images (size %u)", o->glyph_max,
                         o->size);
  if (o->n_train < 1 || o->n_train > MAX_IMAGES)
    return option_error (error, prefix, "train_images", "%u is not in [1, %u]", o->n_train, MAX_IMAGES);
  if (o->n_test < 1 || o->n_test > MAX_IMAGES)
    return option_error (error, prefix, "test_images", "%u is not in [1, %u]", o->n_test, MAX_IMAGES);
  if (!(o->agreement >= 0.0 && o->agreement <= 1.0))
    return option_error (error, prefix, "agreement", "%g is not in [0, 1]", o->agreement);
  if (o->threshold > 254)
    return option_error (error, prefix, "threshold", "%u is not in [0, 254] (a glyph value above it is "
                         "the mask)", o->threshold);
  return TRUE;
}

void
vt_glyph_dataset_summary_free (VtGlyphDatasetSummary *summary)
{
  if (summary == NULL)
    return;
  g_free (summary->output);
  g_strfreev (summary->class_names);
  g_strfreev (summary->background_names);
  g_free (summary->class_counts[0]);
  g_free (summary->class_counts[1]);
  g_free (summary);
}

/* One image's draws and what rendering it measured. */
typedef struct
{
  guint    label;
  guint    glyph;           /* in the glyph split */
  guint    background;      /* in the background split */
  guint    side;
  guint    x;
  guint    y;
  guint8   color[3];
  guint    mask_pixels;     /* rendered */
} Placement;

/* Class @c's samples of @dataset, in its order. */
static GArray **
samples_by_class (VtDataset *dataset)
{
  GArray **by_class = g_new (GArray *, dataset->n_classes);

  for (guint c = 0; c < dataset->n_classes; c++)
    by_class[c] = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 0; i < dataset->n_samples; i++)
    g_array_append_val (by_class[dataset->labels[i]], i);
  return by_class;
}

static void
free_by_class (GArray **by_class,
               guint    n)
{
  for (guint c = 0; by_class && c < n; c++)
    g_array_unref (by_class[c]);
  g_free (by_class);
}

/* A class name as a folder name: letters, digits, "-", "_" and "." kept,
 * anything else (the "/" of "T-shirt/top", spaces) an "_"; an "_" before
 * a name that would be hidden (".x", which the reader skips) or empty. */
static char *
folder_name (const char *name)
{
  GString *out = g_string_new (NULL);

  for (const char *p = name; *p; p++)
    g_string_append_c (out, g_ascii_isalnum (*p) || *p == '-' || *p == '_' || *p == '.' ? *p : '_');
  if (out->len == 0 || out->str[0] == '.')
    g_string_prepend_c (out, '_');
  return g_string_free (out, FALSE);
}

static int
compare_names (gconstpointer a,
               gconstpointer b,
               gpointer      names)
{
  return strcmp (((char **) names)[*(const guint *) a], ((char **) names)[*(const guint *) b]);
}

typedef struct
{
  const VtGlyphDatasetOptions  *options;
  const char                   *prefix;
  VtDataset                    *glyphs[2];
  VtDataset                    *backgrounds[2];
  guint                         n_classes;
  char                        **folders;          /* in label order */
  char                        **glyph_names;      /* the glyph dataset's names, in label order */
  guint                        *glyph_class;      /* label → the glyph dataset's class */
  Placement                    *placements[2];
  guint                         n[2];
  char                         *partial;          /* the temporary folder */
  int                           digits;
  /* Rendering: the split and block under way, and the first error. */
  guint                         split;
  guint                         block_start;
  GMutex                        lock;
  gint                          failed;           /* atomic: render_error is set */
  GError                       *render_error;
  GCancellable                 *cancellable;
} Generation;

static void
generation_clear (Generation *g)
{
  for (guint s = 0; s < 2; s++)
    {
      g_clear_pointer (&g->glyphs[s], vt_dataset_unref);
      g_clear_pointer (&g->backgrounds[s], vt_dataset_unref);
      g_free (g->placements[s]);
    }
  g_strfreev (g->folders);
  g_strfreev (g->glyph_names);
  g_free (g->glyph_class);
  g_free (g->partial);
  g_clear_error (&g->render_error);
  g_mutex_clear (&g->lock);
}

static gboolean
open_inputs (Generation  *g,
             GError     **error)
{
  const VtGlyphDatasetOptions *o = g->options;

  for (guint s = 0; s < 2; s++)
    {
      VtDatasetOptions options = { split_names[s], FALSE, g->cancellable };
      g_autoptr(GError) local_error = NULL;

      if (!(g->glyphs[s] = vt_dataset_open (o->glyphs, &options, &local_error)) ||
          (!g_str_equal (g->glyphs[s]->format, "IDX") &&
           (g_set_error (&local_error, VT_DATASET_ERROR, VT_DATASET_ERROR_FORMAT,
                         "%s is a dataset of the %s format; glyphs come from IDX files (MNIST, Fashion-MNIST)",
                         o->glyphs, g->glyphs[s]->format), TRUE)))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_INPUT, "%sglyphs: %s",
                         g->prefix, local_error->message);
          return FALSE;
        }
      if (!(g->backgrounds[s] = vt_dataset_open (o->backgrounds, &options, &local_error)))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_INPUT, "%sbackgrounds: %s",
                         g->prefix, local_error->message);
          return FALSE;
        }
    }
  if (g->glyphs[1]->n_classes != g->glyphs[0]->n_classes)
    {
      g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_INPUT,
                   "%sglyphs: %s has %u classes in its train split and %u in its test split", g->prefix,
                   o->glyphs, g->glyphs[0]->n_classes, g->glyphs[1]->n_classes);
      return FALSE;
    }
  g->n_classes = g->glyphs[0]->n_classes;
  if (o->spurious && g->backgrounds[0]->n_classes < MAX (g->n_classes, 2))
    {
      g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_INPUT,
                   "%sspurious: the backgrounds (%s) have %u classes, fewer than the glyphs' %u (and two), "
                   "so the background cannot agree with every label and differ from it", g->prefix,
                   o->backgrounds, g->backgrounds[0]->n_classes, g->n_classes);
      return FALSE;
    }
  return TRUE;
}

/* Folder names, and the labels the reader will give them (their sorted order). */
static gboolean
name_classes (Generation  *g,
              GError     **error)
{
  guint k = g->n_classes;
  g_auto(GStrv) names = g_new0 (char *, k + 1);
  g_autofree guint *order = g_new (guint, k);

  for (guint c = 0; c < k; c++)
    {
      names[c] = folder_name (g->glyphs[0]->class_names[c]);
      order[c] = c;
    }
  g_qsort_with_data (order, (gint) k, sizeof (guint), compare_names, names);
  g->folders = g_new0 (char *, k + 1);
  g->glyph_names = g_new0 (char *, k + 1);
  g->glyph_class = g_new (guint, k);
  for (guint label = 0; label < k; label++)
    {
      if (label > 0 && g_str_equal (names[order[label]], names[order[label - 1]]))
        {
          g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_INPUT,
                       "%sglyphs: two classes of %s are both the folder name “%s”", g->prefix,
                       g->options->glyphs, names[order[label]]);
          return FALSE;
        }
      g->folders[label] = g_strdup (names[order[label]]);
      g->glyph_names[label] = g_strdup (g->glyphs[0]->class_names[order[label]]);
      g->glyph_class[label] = order[label];
    }
  return TRUE;
}

/* Every draw, in the order vt-glyph-dataset.h states. */
static gboolean
draw_placements (Generation  *g,
                 GError     **error)
{
  const VtGlyphDatasetOptions *o = g->options;
  VtRandom random;
  guint k = g->n_classes;

  vt_random_init (&random, o->seed);
  g->n[0] = o->n_train;
  g->n[1] = o->n_test;
  for (guint s = 0; s < 2; s++)
    {
      GArray **glyphs = samples_by_class (g->glyphs[s]);
      GArray **backgrounds = samples_by_class (g->backgrounds[s]);
      VtDataset *bg = g->backgrounds[s];
      g_autofree gboolean *agrees = NULL;
      const char *missing = NULL;
      guint missing_class = 0;

      if (g->n[s] < k)
        {
          free_by_class (glyphs, k);
          free_by_class (backgrounds, bg->n_classes);
          return option_error (error, g->prefix, s == 0 ? "train_images" : "test_images",
                               "%u images cannot hold one of each of the glyphs' %u classes", g->n[s], k);
        }
      for (guint c = 0; c < k && missing == NULL; c++)
        if (glyphs[g->glyph_class[c]]->len == 0)
          missing = "glyphs", missing_class = c;
      if (o->spurious && s == 0)
        for (guint c = 0; c < bg->n_classes && missing == NULL; c++)
          if (backgrounds[c]->len == 0)
            missing = "backgrounds", missing_class = c;
      if (missing != NULL)
        {
          g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_INPUT,
                       "%s%s: the %s split of %s has no sample of class “%s”", g->prefix, missing, split_names[s],
                       g_str_equal (missing, "glyphs") ? o->glyphs : o->backgrounds,
                       g_str_equal (missing, "glyphs") ? g->folders[missing_class] : bg->class_names[missing_class]);
          free_by_class (glyphs, k);
          free_by_class (backgrounds, bg->n_classes);
          return FALSE;
        }
      if (o->spurious && s == 0)
        {
          g_autofree guint *permutation = g_new (guint, g->n[s]);
          guint n_agree = (guint) round (o->agreement * g->n[s]);

          vt_random_permutation (&random, g->n[s], permutation);
          agrees = g_new0 (gboolean, g->n[s]);
          for (guint j = 0; j < n_agree; j++)
            agrees[permutation[j]] = TRUE;
        }
      g->placements[s] = g_new0 (Placement, g->n[s]);
      for (guint i = 0; i < g->n[s]; i++)
        {
          Placement *p = &g->placements[s][i];
          GArray *of_class = glyphs[g->glyph_class[i % k]];

          p->label = i % k;
          p->glyph = g_array_index (of_class, guint, vt_random_interval (&random, of_class->len - 1));
          p->side = o->glyph_min + vt_random_interval (&random, o->glyph_max - o->glyph_min);
          p->x = vt_random_interval (&random, o->size - p->side);
          p->y = vt_random_interval (&random, o->size - p->side);
          for (guint c = 0; c < 3; c++)
            p->color[c] = o->random_color ? (guint8) vt_random_interval (&random, 255) : o->color[c];
          if (agrees != NULL)
            {
              guint c = p->label;
              GArray *pool;

              if (!agrees[i])
                {
                  /* Any class but the label's. */
                  c = vt_random_interval (&random, bg->n_classes - 2);
                  c += c >= p->label;
                }
              pool = backgrounds[c];
              p->background = g_array_index (pool, guint, vt_random_interval (&random, pool->len - 1));
            }
          else
            p->background = vt_random_interval (&random, bg->n_samples - 1);
        }
      free_by_class (glyphs, k);
      free_by_class (backgrounds, bg->n_classes);
    }
  return TRUE;
}

double
vt_glyph_dataset_bytes (const VtGlyphDatasetOptions *options,
                        int                          threads)
{
  double pixels = (double) options->size * options->size;
  double glyph = (double) options->glyph_max * options->glyph_max;
  double n = (double) options->n_train + options->n_test;

  /* The placements, and the training split's agreement flags and
   * permutation; per thread a background and its resized copy, the glyph
   * and its resized copy (RGB), the mask and two PNG files (at most a
   * little more than their raw bytes). */
  return n * sizeof (Placement) + (double) options->n_train * (sizeof (gboolean) + sizeof (guint)) +
         MAX (threads, 1) * (2 * 3 * pixels + 2 * 3 * MAX (glyph, 28.0 * 28.0) + pixels + 2 * 4 * pixels + 4096);
}

static char *
image_name (Generation *g,
            guint       split,
            guint       i)
{
  return g_strdup_printf ("%s/%s/%0*u.png", split_names[split], g->folders[g->placements[split][i].label],
                          g->digits, i);
}

static gboolean
write_png (const char    *path,
           const guint8  *pixels,
           int            size,
           VtPngFormat    format,
           GError       **error)
{
  g_autoptr(GBytes) bytes = vt_png_encode (pixels, size, size, format, path, error);
  gsize length;
  const char *data;

  if (bytes == NULL)
    return FALSE;
  data = g_bytes_get_data (bytes, &length);
  /* Without a sync per file: the whole tree is a temporary folder until
   * its rename, which comes after every file is written. */
  return g_file_set_contents_full (path, data, (gssize) length, G_FILE_SET_CONTENTS_NONE, 0666, error);
}

static gboolean
render (Generation  *g,
        guint        split,
        guint        i,
        GError     **error)
{
  const VtGlyphDatasetOptions *o = g->options;
  Placement *p = &g->placements[split][i];
  int size = (int) o->size, side = (int) p->side;
  g_autoptr(VtImage) background = vt_dataset_load_image (g->backgrounds[split], p->background, error);
  g_autoptr(VtImage) glyph = NULL;
  g_autofree char *name = image_name (g, split, i);
  g_autofree char *image_path = NULL;
  g_autofree char *mask_path = NULL;
  g_autofree guint8 *mask = NULL;

  if (background == NULL)
    return FALSE;
  if (background->width != size || background->height != size)
    {
      VtImage *resized = vt_image_resize (background, size, size, VT_RESAMPLE_BILINEAR);
      vt_image_free (background);
      background = resized;
    }
  glyph = vt_dataset_load_image (g->glyphs[split], p->glyph, error);
  if (glyph == NULL)
    return FALSE;
  if (glyph->width != side || glyph->height != side)
    {
      VtImage *resized = vt_image_resize (glyph, side, side, VT_RESAMPLE_BILINEAR);
      vt_image_free (glyph);
      glyph = resized;
    }
  mask = g_malloc0 ((gsize) size * size);
  for (int y = 0; y < side; y++)
    for (int x = 0; x < side; x++)
      {
        /* Grey, so R is the value. */
        guint v = glyph->rgb[3 * ((gsize) y * side + x)];
        gsize at = (gsize) (p->y + y) * size + p->x + x;
        guint8 *rgb = background->rgb + 3 * at;

        if (v <= o->threshold)
          continue;
        mask[at] = 1;
        p->mask_pixels++;
        for (int c = 0; c < 3; c++)
          rgb[c] = (guint8) ((rgb[c] * (255 - v) + p->color[c] * v + 127) / 255);
      }
  image_path = g_build_filename (g->partial, name, NULL);
  mask_path = g_build_filename (g->partial, "masks", name, NULL);
  return write_png (image_path, background->rgb, size, VT_PNG_RGB, error) &&
         write_png (mask_path, mask, size, VT_PNG_MASK, error);
}

static void
render_range (gsize    begin,
              gsize    end,
              gpointer data)
{
  Generation *g = data;

  for (gsize j = begin; j < end; j++)
    {
      g_autoptr(GError) local_error = NULL;

      if (g_cancellable_is_cancelled (g->cancellable) || g_atomic_int_get (&g->failed))
        return;
      if (!render (g, g->split, g->block_start + (guint) j, &local_error))
        {
          g_mutex_lock (&g->lock);
          if (g->render_error == NULL)
            g->render_error = g_steal_pointer (&local_error);
          g_atomic_int_set (&g->failed, 1);
          g_mutex_unlock (&g->lock);
          return;
        }
    }
}

static gboolean
make_folders (Generation  *g,
              GError     **error)
{
  for (guint s = 0; s < 2; s++)
    for (guint c = 0; c < g->n_classes; c++)
      for (guint m = 0; m < 2; m++)
        {
          g_autofree char *dir = m ? g_build_filename (g->partial, "masks", split_names[s], g->folders[c], NULL)
                                   : g_build_filename (g->partial, split_names[s], g->folders[c], NULL);

          if (g_mkdir_with_parents (dir, 0777) != 0)
            {
              int saved = errno;
              g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OUTPUT, "%s: %s", dir,
                           g_strerror (saved));
              return FALSE;
            }
        }
  return TRUE;
}

static gboolean
render_all (Generation         *g,
            const VtEventSink  *sink,
            GError            **error)
{
  guint total = g->n[0] + g->n[1], done = 0;
  gint64 start = g_get_monotonic_time ();

  for (guint s = 0; s < 2; s++)
    for (guint first = 0; first < g->n[s]; first += BLOCK)
      {
        guint n = MIN (BLOCK, g->n[s] - first);
        double seconds = (g_get_monotonic_time () - start) / 1e6;
        g_autofree char *message = NULL;
        VtEvent event = { .kind = VT_EVENT_PROGRESS };

        if (g_cancellable_set_error_if_cancelled (g->cancellable, error))
          return FALSE;
        message = g_strdup_printf ("rendering %s images (%u of %u)", split_names[s], done, total);
        event.message = message;
        event.fraction = (double) done / total;
        event.rate = seconds > 0 ? done / seconds : 0;
        event.seconds_left = done > 0 ? seconds * (total - done) / done : -1;
        vt_event_emit (sink, &event);
        g->split = s;
        g->block_start = first;
        vt_parallel_for (n, render_range, g);
        if (g->render_error != NULL)
          {
            /* A background that does not decode, a file that cannot be
             * written: the error names the file. */
            g_propagate_error (error, g_steal_pointer (&g->render_error));
            return FALSE;
          }
        done += n;
      }
  return !g_cancellable_set_error_if_cancelled (g->cancellable, error);
}

static gboolean
write_placements (Generation  *g,
                  GError     **error)
{
  g_autofree char *path = g_build_filename (g->partial, PLACEMENTS_CSV, NULL);
  g_autoptr(VtFileWriter) writer = vt_file_writer_new (path, error);

  if (writer == NULL)
    return FALSE;
  vt_file_writer_append (writer, "split,file,label,glyph,background,background_class,x,y,side,r,g,b,mask_pixels\n");
  for (guint s = 0; s < 2; s++)
    for (guint i = 0; i < g->n[s]; i++)
      {
        const Placement *p = &g->placements[s][i];
        g_autofree char *name = image_name (g, s, i);

        vt_file_writer_printf (writer, "%s,%s,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u,%u\n", split_names[s], name, p->label,
                               p->glyph, p->background, g->backgrounds[s]->labels[p->background], p->x, p->y,
                               p->side, p->color[0], p->color[1], p->color[2], p->mask_pixels);
      }
  return vt_file_writer_commit (writer, error);
}

static VtGlyphDatasetSummary *
summarize (Generation  *g,
           const char  *output)
{
  VtGlyphDatasetSummary *summary = g_new0 (VtGlyphDatasetSummary, 1);
  double pixels = (double) g->options->size * g->options->size;

  summary->output = g_strdup (output);
  summary->n_classes = g->n_classes;
  summary->class_names = g_strdupv (g->folders);
  summary->background_names = g_strdupv (g->backgrounds[0]->class_names);
  for (guint s = 0; s < 2; s++)
    {
      guint agree = 0;
      double area = 0;

      summary->n_images[s] = g->n[s];
      summary->class_counts[s] = g_new0 (guint, g->n_classes);
      for (guint i = 0; i < g->n[s]; i++)
        {
          const Placement *p = &g->placements[s][i];

          summary->class_counts[s][p->label]++;
          agree += g->backgrounds[s]->labels[p->background] == p->label;
          area += p->mask_pixels / pixels;
          summary->empty_masks[s] += p->mask_pixels == 0;
        }
      summary->agreement[s] = (double) agree / g->n[s];
      summary->mask_area[s] = area / g->n[s];
    }
  return summary;
}

void
vt_glyph_dataset_options_to_json (const VtGlyphDatasetOptions *o,
                                  JsonObject                  *object)
{
  json_object_set_string_member (object, "glyphs", o->glyphs);
  json_object_set_string_member (object, "backgrounds", o->backgrounds);
  json_object_set_int_member (object, "size", o->size);
  json_object_set_int_member (object, "glyph_min", o->glyph_min);
  json_object_set_int_member (object, "glyph_max", o->glyph_max);
  json_object_set_int_member (object, "train_images", o->n_train);
  json_object_set_int_member (object, "test_images", o->n_test);
  json_object_set_int_member (object, "seed", o->seed);
  json_object_set_boolean_member (object, "spurious", o->spurious);
  json_object_set_double_member (object, "agreement", o->agreement);
  json_object_set_int_member (object, "threshold", o->threshold);
  if (o->random_color)
    json_object_set_string_member (object, "color", "random");
  else
    {
      JsonArray *color = json_array_new ();
      for (guint c = 0; c < 3; c++)
        json_array_add_int_element (color, o->color[c]);
      json_object_set_array_member (object, "color", color);
    }
}

static JsonArray *
strv_to_json (char **strv)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; strv[i]; i++)
    json_array_add_string_element (array, strv[i]);
  return array;
}

JsonObject *
vt_glyph_dataset_summary_to_json (const VtGlyphDatasetSummary *summary)
{
  JsonObject *object = json_object_new ();
  JsonObject *splits = json_object_new ();

  json_object_set_array_member (object, "classes", strv_to_json (summary->class_names));
  json_object_set_array_member (object, "background_classes", strv_to_json (summary->background_names));
  for (guint s = 0; s < 2; s++)
    {
      JsonObject *split = json_object_new ();
      JsonArray *counts = json_array_new ();

      for (guint c = 0; c < summary->n_classes; c++)
        json_array_add_int_element (counts, summary->class_counts[s][c]);
      json_object_set_int_member (split, "images", summary->n_images[s]);
      json_object_set_array_member (split, "class_counts", counts);
      json_object_set_double_member (split, "agreement", summary->agreement[s]);
      json_object_set_double_member (split, "mask_area", summary->mask_area[s]);
      json_object_set_int_member (split, "empty_masks", summary->empty_masks[s]);
      json_object_set_object_member (splits, split_names[s], split);
    }
  json_object_set_object_member (object, "splits", splits);
  return object;
}

static gboolean
write_metadata (Generation                   *g,
                const VtGlyphDatasetSummary  *summary,
                GError                      **error)
{
  g_autofree char *path = g_build_filename (g->partial, GLYPHS_JSON, NULL);
  JsonObject *object = vt_glyph_dataset_summary_to_json (summary);
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;
  g_autoptr(VtFileWriter) writer = NULL;

  json_object_set_string_member (object, "generator", "vitrine glyphs");
  {
    JsonObject *options = json_object_new ();

    vt_glyph_dataset_options_to_json (g->options, options);
    json_object_set_object_member (object, "options", options);
  }
  json_object_set_array_member (object, "glyph_classes", strv_to_json (g->glyph_names));
  json_object_set_string_member (object, "placements", PLACEMENTS_CSV);
  json_node_take_object (root, object);
  text = json_to_string (root, TRUE);
  if (!(writer = vt_file_writer_new (path, error)))
    return FALSE;
  vt_file_writer_append (writer, text);
  vt_file_writer_putc (writer, '\n');
  return vt_file_writer_commit (writer, error);
}

/* Removes @path and everything below it; FALSE with errno set at the first
 * entry that cannot go. */
static gboolean
remove_tree (const char *path)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    return errno == ENOENT;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (!remove_tree (child))
            return FALSE;
        }
      return g_rmdir (path) == 0;
    }
  return g_unlink (path) == 0;
}

/* Puts the finished tree at @output: an empty folder there is replaced,
 * an earlier generation moved aside, renamed over, then removed. */
static gboolean
move_into_place (Generation  *g,
                 const char  *output,
                 GError     **error)
{
  g_autofree char *marker = g_build_filename (output, GLYPHS_JSON, NULL);
  g_autofree char *aside = NULL;
  int saved;

  if (g_file_test (output, G_FILE_TEST_EXISTS))
    {
      if (g_rmdir (output) != 0)
        {
          if (!g_file_test (marker, G_FILE_TEST_IS_REGULAR))
            {
              g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OUTPUT,
                           "%s: exists and is not a dataset generated here (no %s in it); it is left alone: "
                           "name another folder", output, GLYPHS_JSON);
              return FALSE;
            }
          aside = g_strconcat (g->partial, "-old", NULL);
          if (g_rename (output, aside) != 0)
            {
              saved = errno;
              g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OUTPUT,
                           "%s: cannot move the earlier dataset aside: %s", output, g_strerror (saved));
              return FALSE;
            }
        }
    }
  if (g_rename (g->partial, output) != 0)
    {
      saved = errno;
      g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OUTPUT, "%s: cannot rename %s into "
                   "place: %s", output, g->partial, g_strerror (saved));
      if (aside != NULL)
        g_rename (aside, output);
      return FALSE;
    }
  if (aside != NULL && !remove_tree (aside))
    g_warning ("%s: cannot remove the earlier dataset moved aside: %s", aside, g_strerror (errno));
  return TRUE;
}

VtGlyphDatasetSummary *
vt_glyph_dataset_generate (const VtGlyphDatasetOptions  *options,
                           const char                   *output,
                           const char                   *prefix,
                           const VtEventSink            *sink,
                           GCancellable                 *cancellable,
                           GError                      **error)
{
  Generation g = { .options = options, .prefix = prefix ? prefix : "", .cancellable = cancellable };
  g_autoptr(VtGlyphDatasetSummary) summary = NULL;
  g_autofree char *parent = g_path_get_dirname (output);
  g_autofree char *template = NULL;
  gint64 start = g_get_monotonic_time ();
  gboolean ok = FALSE;

  g_mutex_init (&g.lock);
  if (!vt_glyph_dataset_check_options (options, prefix, error) ||
      !open_inputs (&g, error) || !name_classes (&g, error) || !draw_placements (&g, error))
    goto out;
  g.digits = 5;
  for (guint rest = MAX (g.n[0], g.n[1]) / 100000; rest > 0; rest /= 10)
    g.digits++;
  if (g_mkdir_with_parents (parent, 0777) != 0)
    {
      int saved = errno;
      g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OUTPUT, "%s: cannot create the folder: %s",
                   parent, g_strerror (saved));
      goto out;
    }
  template = g_strconcat (output, ".vitrine-partial-XXXXXX", NULL);
  if (g_mkdtemp_full (template, 0777) == NULL)
    {
      int saved = errno;
      g_set_error (error, VT_GLYPH_DATASET_ERROR, VT_GLYPH_DATASET_ERROR_OUTPUT, "%s: cannot create a temporary "
                   "folder beside it: %s", output, g_strerror (saved));
      goto out;
    }
  g.partial = g_steal_pointer (&template);
  if (!make_folders (&g, error) || !render_all (&g, sink, error))
    goto out;
  summary = summarize (&g, output);
  if (!write_placements (&g, error) || !write_metadata (&g, summary, error) ||
      g_cancellable_set_error_if_cancelled (cancellable, error) || !move_into_place (&g, output, error))
    goto out;
  summary->seconds = (g_get_monotonic_time () - start) / 1e6;
  ok = TRUE;

out:
  if (!ok && g.partial != NULL && !remove_tree (g.partial))
    g_warning ("%s: cannot remove the unfinished dataset: %s", g.partial, g_strerror (errno));
  generation_clear (&g);
  return ok ? g_steal_pointer (&summary) : NULL;
}
