/* test-glyph-dataset.c: the glyph dataset generator (vt-glyph-dataset.h)
 * on Fashion-MNIST (Debian's dataset-fashion-mnist) and the CIFAR-10 JPEGs
 * of ../shared: each mask against its glyph re-derived from the IDX file
 * and the placement recorded, each image against its background, the whole
 * dataset against tests/reference/make_glyph_fixture.py's, the same
 * bytes from the same seed, the spurious agreement, the reader's masks,
 * bad options and inputs, and Cancel. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "io/vt-dataset.h"
#include "io/vt-glyph-dataset.h"
#include "io/vt-png-writer.h"
#include "io/vt-resize.h"
#include "vt-test-util.h"

#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

static void
options_for (VtGlyphDatasetOptions *options,
             guint                  n_train,
             guint                  n_test,
             guint32                seed)
{
  vt_glyph_dataset_options_init (options);
  g_free (options->glyphs);
  options->glyphs = g_strdup (FASHION_MNIST);
  options->backgrounds = vt_test_asset ("datasets/cifar10-jpg");
  options->n_train = n_train;
  options->n_test = n_test;
  options->seed = seed;
}

/* A background dataset with a train and a test split, both the 200
 * CIFAR-10 test images of data/demo (symbolic links): quicker to list than
 * the 60,000 of ../shared, for the tests that do not count on many. */
static char *
demo_backgrounds (const char *dir)
{
  g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                              NULL);
  char *root = g_build_filename (dir, "backgrounds", NULL);

  g_assert_cmpint (g_mkdir (root, 0755), ==, 0);
  for (guint s = 0; s < 2; s++)
    {
      g_autofree char *split = g_build_filename (root, s ? "test" : "train", NULL);
      g_assert_cmpint (symlink (sample, split), ==, 0);
    }
  return root;
}

static void
use_demo_backgrounds (VtGlyphDatasetOptions *options,
                      const char            *dir)
{
  g_free (options->backgrounds);
  options->backgrounds = demo_backgrounds (dir);
}

static VtGlyphDatasetSummary *
generate_ok (const VtGlyphDatasetOptions *options,
             const char                  *output)
{
  g_autoptr(GError) error = NULL;
  VtGlyphDatasetSummary *summary = vt_glyph_dataset_generate (options, output, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (summary);
  g_test_message ("%u + %u images in %.2f s", summary->n_images[0], summary->n_images[1], summary->seconds);
  return summary;
}

static VtDataset *
open_split (const char *path,
            const char *split)
{
  VtDatasetOptions options = { split, FALSE, NULL };
  g_autoptr(GError) error = NULL;
  VtDataset *dataset = vt_dataset_open (path, &options, &error);

  g_assert_no_error (error);
  return dataset;
}

/* placements.csv as rows of fields, the header checked. */
static GPtrArray *
read_placements (const char *output)
{
  g_autofree char *path = g_build_filename (output, "placements.csv", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (g_strchomp (contents), "\n", -1);
  g_assert_cmpstr (lines[0], ==, "split,file,label,glyph,background,background_class,x,y,side,r,g,b,mask_pixels");
  for (guint i = 1; lines[i]; i++)
    {
      char **fields = g_strsplit (lines[i], ",", -1);

      g_assert_cmpuint (g_strv_length (fields), ==, 13);
      g_ptr_array_add (rows, fields);
    }
  return rows;
}

static guint
field (char **row,
       guint  column)
{
  return (guint) g_ascii_strtoull (row[column], NULL, 10);
}

enum { SPLIT, FILE_, LABEL, GLYPH, BACKGROUND, BACKGROUND_CLASS, X, Y, SIDE, R, G, B, MASK_PIXELS };

/* The sample of @dataset whose file is @output/@file. */
static guint
sample_of (VtDataset  *dataset,
           const char *output,
           const char *file)
{
  g_autofree char *path = g_build_filename (output, file, NULL);

  for (guint i = 0; i < dataset->n_samples; i++)
    if (g_str_equal (vt_dataset_sample_file (dataset, i), path))
      return i;
  g_error ("%s is not a sample of the dataset read back", path);
}

/* Every image of both splits, read back through vt_dataset_open: the label
 * is its glyph's class, the mask is exactly the resized IDX glyph above
 * the threshold at the recorded place, and the image is its background
 * outside the mask and the stated blend inside it. */
static void
check_against_sources (const VtGlyphDatasetOptions  *options,
                       const VtGlyphDatasetSummary  *summary,
                       const char                   *output)
{
  g_autoptr(GPtrArray) rows = read_placements (output);
  const char *splits[] = { "train", "test" };
  guint checked = 0, blended = 0, empty[2] = { 0, 0 };

  for (guint s = 0; s < 2; s++)
    {
      g_autoptr(VtDataset) generated = open_split (output, splits[s]);
      g_autoptr(VtDataset) glyphs = open_split (FASHION_MNIST, splits[s]);
      g_autoptr(VtDataset) backgrounds = open_split (options->backgrounds, splits[s]);
      g_auto(GStrv) fashion = g_strdupv (glyphs->class_names);

      g_assert_true (vt_dataset_has_masks (generated));
      g_assert_cmpuint (generated->n_samples, ==, s == 0 ? options->n_train : options->n_test);
      for (guint r = 0; r < rows->len; r++)
        {
          char **row = g_ptr_array_index (rows, r);
          guint index, label = field (row, LABEL), side = field (row, SIDE);
          guint x0 = field (row, X), y0 = field (row, Y), size = options->size;
          g_autoptr(GError) error = NULL;
          g_autoptr(VtImage) image = NULL;
          g_autoptr(VtImage) background = NULL;
          g_autoptr(VtImage) glyph = NULL;
          g_autoptr(VtImage) resized = NULL;
          g_autofree guint8 *mask = NULL;
          g_autofree char *glyph_folder = NULL;
          guint8 color[3] = { field (row, R), field (row, G), field (row, B) };
          guint mask_pixels = 0;
          int width = 0, height = 0;

          if (!g_str_equal (row[SPLIT], splits[s]))
            continue;
          index = sample_of (generated, output, row[FILE_]);
          /* The label the reader gives is the glyph's class, named by its folder. */
          g_assert_cmpuint (generated->labels[index], ==, label);
          glyph_folder = g_strdelimit (g_strdup (fashion[glyphs->labels[field (row, GLYPH)]]), "/ ", '_');
          g_assert_cmpstr (generated->class_names[label], ==, glyph_folder);
          g_assert_cmpuint (backgrounds->labels[field (row, BACKGROUND)], ==, field (row, BACKGROUND_CLASS));
          g_assert_cmpuint (side, >=, options->glyph_min);
          g_assert_cmpuint (side, <=, options->glyph_max);
          g_assert_cmpuint (x0 + side, <=, size);
          g_assert_cmpuint (y0 + side, <=, size);
          if (!options->random_color)
            g_assert_cmpmem (color, 3, options->color, 3);

          mask = vt_dataset_read_mask (generated, index, &width, &height, &error);
          g_assert_no_error (error);
          image = vt_dataset_load_image (generated, index, &error);
          g_assert_no_error (error);
          g_assert_cmpint (width, ==, (int) size);
          g_assert_cmpint (height, ==, (int) size);
          g_assert_cmpint (image->width, ==, (int) size);
          background = vt_dataset_load_image (backgrounds, field (row, BACKGROUND), &error);
          g_assert_no_error (error);
          if (background->width != (int) size)
            {
              VtImage *scaled = vt_image_resize (background, (int) size, (int) size, VT_RESAMPLE_BILINEAR);
              vt_image_free (background);
              background = scaled;
            }
          glyph = vt_dataset_load_image (glyphs, field (row, GLYPH), &error);
          g_assert_no_error (error);
          /* Fashion-MNIST's own 28 × 28 is pasted as it is. */
          if (side != 28)
            resized = vt_image_resize (glyph, (int) side, (int) side, VT_RESAMPLE_BILINEAR);
          const VtImage *pasted = resized ? resized : glyph;
          for (guint y = 0; y < size; y++)
            for (guint x = 0; x < size; x++)
              {
                gboolean inside = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side;
                guint v = inside ? pasted->rgb[3 * ((y - y0) * side + (x - x0))] : 0;
                gboolean on = v > options->threshold;
                const guint8 *got = image->rgb + 3 * (y * size + x), *under = background->rgb + 3 * (y * size + x);

                if (mask[y * size + x] != on)
                  g_error ("%s: mask pixel (%u, %u) is %u; the glyph there is %u (threshold %u)", row[FILE_], x, y,
                           mask[y * size + x], v, options->threshold);
                mask_pixels += on;
                for (guint c = 0; c < 3; c++)
                  {
                    guint want = on ? (under[c] * (255 - v) + color[c] * v + 127) / 255 : under[c];

                    if (got[c] != want)
                      g_error ("%s: pixel (%u, %u) channel %u is %u, expected %u (%s)", row[FILE_], x, y, c,
                               got[c], want, on ? "glyph over background" : "background");
                    blended += on && got[c] != under[c];
                  }
              }
          g_assert_cmpuint (mask_pixels, ==, field (row, MASK_PIXELS));
          empty[s] += mask_pixels == 0;
          checked++;
        }
    }
  g_assert_cmpuint (checked, ==, rows->len);
  g_assert_cmpuint (empty[0], ==, summary->empty_masks[0]);
  g_assert_cmpuint (empty[1], ==, summary->empty_masks[1]);
  g_test_message ("%u and %u images with an empty mask", empty[0], empty[1]);
  g_assert_cmpuint (checked, ==, options->n_train + options->n_test);
  /* The glyphs are visible: most mask pixels differ from the background. */
  g_assert_cmpuint (blended, >, 0);
  g_test_message ("%u images checked pixel by pixel", checked);
}

static void
test_masks (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "glyphs", NULL);
  g_autofree char *upscaled = g_build_filename (dir, "glyphs-48", NULL);
  VtGlyphDatasetOptions options;

  /* Random colours, glyphs smaller and larger than Fashion-MNIST's 28. */
  options_for (&options, 60, 30, 11);
  options.glyph_min = 10;
  options.glyph_max = 32;
  g_autoptr(VtGlyphDatasetSummary) summary = generate_ok (&options, output);
  check_against_sources (&options, summary, output);
  g_assert_cmpuint (summary->n_classes, ==, 10);
  for (guint c = 0; c < 10; c++)
    {
      g_assert_cmpuint (summary->class_counts[0][c], ==, 6);
      g_assert_cmpuint (summary->class_counts[1][c], ==, 3);
    }

  /* Backgrounds resized to 48, one fixed colour, a higher threshold. */
  use_demo_backgrounds (&options, dir);
  options.size = 48;
  options.glyph_max = 40;
  options.threshold = 100;
  options.random_color = FALSE;
  memcpy (options.color, (guint8[]) { 250, 20, 90 }, 3);
  g_autoptr(VtGlyphDatasetSummary) large = generate_ok (&options, upscaled);
  check_against_sources (&options, large, upscaled);

  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

/* Every file under @a and @b, relative, sorted. */
static void
list_tree (const char *root,
           const char *relative,
           GPtrArray  *out)
{
  g_autofree char *dir = g_build_filename (root, relative, NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *child = *relative ? g_build_filename (relative, name, NULL) : g_strdup (name);
      g_autofree char *path = g_build_filename (root, child, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        list_tree (root, child, out);
      else
        g_ptr_array_add (out, g_steal_pointer (&child));
    }
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* How many files of the same relative names differ; the names must match. */
static guint
count_differing_files (const char *a,
                       const char *b)
{
  g_autoptr(GPtrArray) files_a = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) files_b = g_ptr_array_new_with_free_func (g_free);
  guint differing = 0;

  list_tree (a, "", files_a);
  list_tree (b, "", files_b);
  g_ptr_array_sort (files_a, compare_paths);
  g_ptr_array_sort (files_b, compare_paths);
  g_assert_cmpuint (files_a->len, ==, files_b->len);
  for (guint i = 0; i < files_a->len; i++)
    {
      g_autofree char *path_a = g_build_filename (a, g_ptr_array_index (files_a, i), NULL);
      g_autofree char *path_b = g_build_filename (b, g_ptr_array_index (files_b, i), NULL);
      g_autofree char *bytes_a = NULL;
      g_autofree char *bytes_b = NULL;
      gsize length_a, length_b;

      g_assert_cmpstr (g_ptr_array_index (files_a, i), ==, g_ptr_array_index (files_b, i));
      g_assert_true (g_file_get_contents (path_a, &bytes_a, &length_a, NULL));
      g_assert_true (g_file_get_contents (path_b, &bytes_b, &length_b, NULL));
      differing += length_a != length_b || memcmp (bytes_a, bytes_b, length_a) != 0;
    }
  g_test_message ("%u files, %u differ", files_a->len, differing);
  return differing;
}

static char *
sha256_hex (const guint8 *data,
            gsize         length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, length);
}

/* The same dataset made by tests/reference/make_glyph_fixture.py with
 * numpy's RandomState and Pillow from the header's statement alone: every
 * placement equal, every image's and mask's pixels equal (SHA-256 of the
 * raw bytes). Resized backgrounds, glyphs shrunk and enlarged, spurious. */
static void
test_reference (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "glyphs", NULL);
  g_autofree char *fixture = vt_test_fixture ("glyphs/expected.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtGlyphDatasetSummary) summary = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  JsonObject *root, *o;
  JsonArray *images;
  VtGlyphDatasetOptions options;
  VtDataset *splits[2];

  json_parser_load_from_file (parser, fixture, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  o = json_object_get_object_member (root, "options");
  images = json_object_get_array_member (root, "images");
  options_for (&options, (guint) json_object_get_int_member (o, "train_images"),
               (guint) json_object_get_int_member (o, "test_images"), (guint32) json_object_get_int_member (o, "seed"));
  options.size = (guint) json_object_get_int_member (o, "size");
  options.glyph_min = (guint) json_object_get_int_member (o, "glyph_min");
  options.glyph_max = (guint) json_object_get_int_member (o, "glyph_max");
  options.spurious = json_object_get_boolean_member (o, "spurious");
  options.agreement = json_object_get_double_member (o, "agreement");
  options.threshold = (guint) json_object_get_int_member (o, "threshold");
  g_assert_cmpstr (json_object_get_string_member (o, "color"), ==, "random");

  summary = generate_ok (&options, output);
  rows = read_placements (output);
  g_assert_cmpuint (rows->len, ==, json_array_get_length (images));
  splits[0] = open_split (output, "train");
  splits[1] = open_split (output, "test");
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      JsonObject *want = json_array_get_object_element (images, i);
      JsonArray *color = json_object_get_array_member (want, "color");
      VtDataset *dataset = splits[g_str_equal (row[SPLIT], "test")];
      guint index;
      g_autoptr(VtImage) image = NULL;
      g_autofree guint8 *mask = NULL;
      g_autofree char *image_hash = NULL;
      g_autofree char *mask_hash = NULL;
      int width, height;

      g_assert_cmpstr (row[SPLIT], ==, json_object_get_string_member (want, "split"));
      g_assert_cmpstr (row[FILE_], ==, json_object_get_string_member (want, "file"));
      g_assert_cmpint (field (row, LABEL), ==, json_object_get_int_member (want, "label"));
      g_assert_cmpint (field (row, GLYPH), ==, json_object_get_int_member (want, "glyph"));
      g_assert_cmpint (field (row, BACKGROUND), ==, json_object_get_int_member (want, "background"));
      g_assert_cmpint (field (row, BACKGROUND_CLASS), ==, json_object_get_int_member (want, "background_class"));
      g_assert_cmpint (field (row, X), ==, json_object_get_int_member (want, "x"));
      g_assert_cmpint (field (row, Y), ==, json_object_get_int_member (want, "y"));
      g_assert_cmpint (field (row, SIDE), ==, json_object_get_int_member (want, "side"));
      for (guint c = 0; c < 3; c++)
        g_assert_cmpint (field (row, R + c), ==, json_array_get_int_element (color, c));
      g_assert_cmpint (field (row, MASK_PIXELS), ==, json_object_get_int_member (want, "mask_pixels"));

      index = sample_of (dataset, output, row[FILE_]);
      image = vt_dataset_load_image (dataset, index, &error);
      g_assert_no_error (error);
      mask = vt_dataset_read_mask (dataset, index, &width, &height, &error);
      g_assert_no_error (error);
      image_hash = sha256_hex (image->rgb, (gsize) image->width * image->height * 3);
      mask_hash = sha256_hex (mask, (gsize) width * height);
      if (!g_str_equal (image_hash, json_object_get_string_member (want, "image_sha256")))
        g_error ("%s: the pixels differ from the reference's", row[FILE_]);
      if (!g_str_equal (mask_hash, json_object_get_string_member (want, "mask_sha256")))
        g_error ("%s: the mask differs from the reference's", row[FILE_]);
    }
  g_test_message ("%u images equal to the reference's, pixel for pixel", rows->len);
  vt_dataset_unref (splits[0]);
  vt_dataset_unref (splits[1]);
  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

static void
test_same_seed (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *first = g_build_filename (dir, "first", NULL);
  g_autofree char *again = g_build_filename (dir, "again", NULL);
  g_autofree char *other = g_build_filename (dir, "other", NULL);
  VtGlyphDatasetOptions options;

  options_for (&options, 200, 50, 5);
  use_demo_backgrounds (&options, dir);
  options.spurious = TRUE;
  g_autoptr(VtGlyphDatasetSummary) a = generate_ok (&options, first);
  g_autoptr(VtGlyphDatasetSummary) b = generate_ok (&options, again);
  /* Byte for byte, glyphs.json and placements.csv included. */
  g_assert_cmpuint (count_differing_files (first, again), ==, 0);

  options.seed = 6;
  g_autoptr(VtGlyphDatasetSummary) c = generate_ok (&options, other);
  {
    g_autoptr(GPtrArray) rows_a = read_placements (first);
    g_autoptr(GPtrArray) rows_c = read_placements (other);
    guint same = 0, n = rows_a->len;

    for (guint i = 0; i < n; i++)
      {
        char **x = g_ptr_array_index (rows_a, i), **y = g_ptr_array_index (rows_c, i);
        same += field (x, GLYPH) == field (y, GLYPH) && field (x, BACKGROUND) == field (y, BACKGROUND);
      }
    /* The same file names (image i has class i mod 10), other contents:
     * every image but glyphs.json's seed and counts. */
    g_assert_cmpuint (same, <, n / 20);
    g_assert_cmpuint (count_differing_files (first, other), >, 2 * n - n / 10);
  }

  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

/* The share of @split's rows whose background class is the label. */
static double
measured_agreement (GPtrArray  *rows,
                    const char *split,
                    guint      *n)
{
  guint agree = 0;

  *n = 0;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      if (!g_str_equal (row[SPLIT], split))
        continue;
      (*n)++;
      agree += field (row, BACKGROUND_CLASS) == field (row, LABEL);
    }
  return (double) agree / *n;
}

static void
test_spurious (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  const double shares[] = { 0.9, 0.3 };
  VtGlyphDatasetOptions options;

  options_for (&options, 1000, 500, 3);
  options.spurious = TRUE;
  for (guint k = 0; k < G_N_ELEMENTS (shares); k++)
    {
      g_autofree char *name = g_strdup_printf ("spurious-%u", k);
      g_autofree char *output = g_build_filename (dir, name, NULL);
      g_autoptr(VtGlyphDatasetSummary) summary = NULL;
      g_autoptr(GPtrArray) rows = NULL;
      g_autoptr(VtDataset) backgrounds = open_split (options.backgrounds, "train");
      double train, test;
      guint n_train, n_test;

      options.agreement = shares[k];
      summary = generate_ok (&options, output);
      rows = read_placements (output);
      train = measured_agreement (rows, "train", &n_train);
      test = measured_agreement (rows, "test", &n_test);
      g_test_message ("agreement %.2f asked: %.4f on train, %.4f on test", shares[k], train, test);
      g_assert_cmpuint (n_train, ==, 1000);
      g_assert_cmpuint (n_test, ==, 500);
      g_assert_cmpfloat (fabs (train - shares[k]), <=, 0.03);
      g_assert_cmpfloat (summary->agreement[0], ==, train);
      g_assert_cmpfloat (summary->agreement[1], ==, test);
      /* The test split's backgrounds are uniform over CIFAR-10: one in ten
       * agrees by chance (500 images: 3.7 standard deviations either way). */
      g_assert_cmpfloat (fabs (test - 0.1), <=, 0.05);
      /* The backgrounds that disagree spread over the other classes. */
      {
        guint per_class[10] = { 0 };

        for (guint i = 0; i < rows->len; i++)
          {
            char **row = g_ptr_array_index (rows, i);
            if (g_str_equal (row[SPLIT], "train") && field (row, BACKGROUND_CLASS) != field (row, LABEL))
              per_class[field (row, BACKGROUND_CLASS)]++;
          }
        for (guint c = 0; c < 10; c++)
          g_assert_cmpuint (per_class[c], >, 0);
      }
    }

  /* Without "spurious" the training split is uniform too. */
  {
    g_autofree char *output = g_build_filename (dir, "plain", NULL);
    g_autoptr(VtGlyphDatasetSummary) summary = NULL;

    options.spurious = FALSE;
    summary = generate_ok (&options, output);
    g_test_message ("without spurious: %.4f on train", summary->agreement[0]);
    g_assert_cmpfloat (fabs (summary->agreement[0] - 0.1), <=, 0.04);
  }
  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

static void
test_reader (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "glyphs", NULL);
  g_autofree char *train_folder = g_build_filename (output, "train", NULL);
  VtGlyphDatasetOptions options;
  g_autoptr(GError) error = NULL;
  int width, height;

  options_for (&options, 40, 20, 2);
  use_demo_backgrounds (&options, dir);
  g_autoptr(VtGlyphDatasetSummary) summary = generate_ok (&options, output);
  g_autoptr(VtDataset) train = open_split (output, "train");
  g_autoptr(VtDataset) test = open_split (output, "test");
  /* Opened at its split folder, the masks are found beside it too. */
  g_autoptr(VtDataset) direct = open_split (train_folder, NULL);
  g_autoptr(VtDataset) cifar = open_split (options.backgrounds, "test");


  g_assert_cmpstr (train->format, ==, "image folder");
  g_assert_cmpuint (train->n_samples, ==, 40);
  g_assert_cmpuint (test->n_samples, ==, 20);
  g_assert_cmpuint (train->n_classes, ==, 10);
  g_assert_cmpstrv ((const char * const *) train->class_names, (const char * const *) summary->class_names);
  g_assert_cmpstr (train->class_names[8], ==, "T-shirt_top");
  g_assert_true (vt_dataset_has_masks (train));
  g_assert_true (vt_dataset_has_masks (direct));
  g_assert_false (vt_dataset_has_masks (cifar));
  g_assert_null (vt_dataset_mask_path (cifar, 0));

  for (guint i = 0; i < test->n_samples; i++)
    {
      g_autofree char *path = vt_dataset_mask_path (test, i);
      g_autofree char *relative = g_strdup (vt_dataset_sample_file (test, i) + strlen (output) + 1);
      g_autofree char *expected = g_build_filename (output, "masks", relative, NULL);
      g_autofree guint8 *mask = vt_dataset_read_mask (test, i, &width, &height, &error);

      g_assert_cmpstr (path, ==, expected);
      g_assert_no_error (error);
      g_assert_cmpint (width, ==, 32);
      g_assert_cmpint (height, ==, 32);
      for (int p = 0; p < width * height; p++)
        g_assert_cmpuint (mask[p], <=, 1);
    }
  {
    g_autofree char *slashed = g_strconcat (train_folder, "/", NULL);
    g_autoptr(VtDataset) trailing = open_split (slashed, NULL);
    g_autofree char *direct_path = vt_dataset_mask_path (direct, 3);
    g_autofree char *split_path = vt_dataset_mask_path (train, 3);
    g_autofree char *trailing_path = vt_dataset_mask_path (trailing, 3);

    g_assert_cmpstr (direct_path, ==, split_path);
    g_assert_cmpstr (trailing_path, ==, split_path);
  }

  /* An 8-bit grey mask reads as well: white is 1. */
  {
    g_autofree char *path = vt_dataset_mask_path (train, 0);
    guint8 grey[32 * 32];
    g_autofree guint8 *mask = NULL;

    for (guint p = 0; p < 32 * 32; p++)
      grey[p] = p % 3 == 0 ? 255 : p % 3 == 1 ? 127 : 128;
    g_assert_true (vt_png_write (path, grey, 32, 32, VT_PNG_GREY, &error));
    g_assert_no_error (error);
    mask = vt_dataset_read_mask (train, 0, &width, &height, &error);
    g_assert_no_error (error);
    for (guint p = 0; p < 32 * 32; p++)
      g_assert_cmpuint (mask[p], ==, p % 3 != 1);
  }

  /* A mask that is missing, damaged or in colour; a dataset without masks. */
  {
    g_autofree char *missing = vt_dataset_mask_path (train, 1);
    g_autofree char *damaged = vt_dataset_mask_path (train, 2);
    g_autofree char *colour = vt_dataset_mask_path (train, 3);
    guint8 rgb[32 * 32 * 3] = { 0 };
    guint8 *mask;

    g_assert_cmpint (g_unlink (missing), ==, 0);
    mask = vt_dataset_read_mask (train, 1, &width, &height, &error);
    g_assert_null (mask);
    g_assert_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK);
    g_assert_nonnull (strstr (error->message, missing));
    g_test_message ("%s", error->message);
    g_clear_error (&error);

    g_assert_true (g_file_set_contents (damaged, "\x89PNG\r\n\x1a\nnot really", -1, NULL));
    mask = vt_dataset_read_mask (train, 2, &width, &height, &error);
    g_assert_null (mask);
    g_assert_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK);
    g_assert_nonnull (strstr (error->message, damaged));
    g_test_message ("%s", error->message);
    g_clear_error (&error);

    rgb[3 * 40] = 200;
    g_assert_true (vt_png_write (colour, rgb, 32, 32, VT_PNG_RGB, &error));
    mask = vt_dataset_read_mask (train, 3, &width, &height, &error);
    g_assert_null (mask);
    g_assert_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK);
    g_assert_nonnull (strstr (error->message, colour));
    g_assert_nonnull (strstr (error->message, "(8, 1) is not grey"));
    g_clear_error (&error);

    mask = vt_dataset_read_mask (cifar, 0, &width, &height, &error);
    g_assert_null (mask);
    g_assert_error (error, VT_DATASET_ERROR, VT_DATASET_ERROR_MASK);
    g_assert_nonnull (strstr (error->message, "has no masks"));
    g_clear_error (&error);
  }
  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

/* Generates with @options into @output expecting @code and a message that
 * holds @phrase (and the prefix given). */
static void
generate_fails (const VtGlyphDatasetOptions *options,
                const char                  *output,
                int                          code,
                const char                  *phrase)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtGlyphDatasetSummary) summary = vt_glyph_dataset_generate (options, output, "$.steps[2].", NULL,
                                                                        NULL, &error);

  g_assert_null (summary);
  g_assert_error (error, VT_GLYPH_DATASET_ERROR, code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, phrase) == NULL)
    g_error ("“%s” lacks “%s”", error->message, phrase);
}

static void
test_bad_input (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "glyphs", NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-folder", NULL);
  g_autofree char *user = g_build_filename (dir, "user-folder", NULL);
  g_autofree char *user_file = g_build_filename (user, "thesis.txt", NULL);
  g_autofree char *cifar = NULL;
  VtGlyphDatasetOptions options;

  options_for (&options, 20, 10, 0);
  use_demo_backgrounds (&options, dir);
  cifar = g_strdup (options.backgrounds);

  g_free (options.glyphs);
  options.glyphs = g_strdup (missing);
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_INPUT, "$.steps[2].glyphs: ");
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_INPUT, missing);
  /* A dataset, but not of glyphs. */
  g_free (options.glyphs);
  options.glyphs = g_strdup (cifar);
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_INPUT, "glyphs come from IDX files");
  g_free (options.glyphs);
  options.glyphs = g_strdup (FASHION_MNIST);

  g_free (options.backgrounds);
  options.backgrounds = g_strdup (missing);
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_INPUT, "$.steps[2].backgrounds: ");
  g_free (options.backgrounds);
  options.backgrounds = NULL;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION, "$.steps[2].backgrounds: required");
  options.backgrounds = g_strdup (cifar);

  options.size = 4;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION, "$.steps[2].size: 4 is not in [8, 4096]");
  options.size = 32;
  options.glyph_max = 33;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION,
                  "$.steps[2].glyph_max: 33 is larger than the images (size 32)");
  options.glyph_max = 24;
  options.glyph_min = 25;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION, "$.steps[2].glyph_min: 25 must be from 1");
  options.glyph_min = 16;
  options.agreement = 1.5;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION, "$.steps[2].agreement: 1.5 is not in [0, 1]");
  options.agreement = 0.9;
  options.threshold = 255;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION, "$.steps[2].threshold");
  options.threshold = 32;
  options.n_test = 9;
  generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_OPTION,
                  "$.steps[2].test_images: 9 images cannot hold one of each of the glyphs' 10 classes");
  options.n_test = 10;
  /* Spurious on backgrounds of one class: no background can disagree. */
  {
    g_autofree char *cats = g_build_filename (dir, "cats", NULL);
    g_autofree char *sample = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                                "cifar10-test-sample", "cat", NULL);

    for (guint s = 0; s < 2; s++)
      {
        g_autofree char *split = g_build_filename (cats, s ? "test" : "train", NULL);
        g_autofree char *link = g_build_filename (split, "cat", NULL);

        g_assert_cmpint (g_mkdir_with_parents (split, 0755), ==, 0);
        g_assert_cmpint (symlink (sample, link), ==, 0);
      }
    g_free (options.backgrounds);
    options.backgrounds = g_strdup (cats);
    options.spurious = TRUE;
    generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_INPUT, "$.steps[2].spurious: the backgrounds");
    generate_fails (&options, output, VT_GLYPH_DATASET_ERROR_INPUT, "have 1 classes, fewer than the glyphs' 10");
    options.spurious = FALSE;
    g_free (options.backgrounds);
    options.backgrounds = g_strdup (cifar);
    vt_test_rm_rf (cats);
  }
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));

  /* A folder of the user's is never replaced; an earlier generation is. */
  g_assert_cmpint (g_mkdir (user, 0755), ==, 0);
  g_assert_true (g_file_set_contents (user_file, "mine", -1, NULL));
  generate_fails (&options, user, VT_GLYPH_DATASET_ERROR_OUTPUT, "is not a dataset generated here");
  g_assert_true (g_file_test (user_file, G_FILE_TEST_IS_REGULAR));
  {
    g_autoptr(VtGlyphDatasetSummary) first = generate_ok (&options, output);
    g_autoptr(VtGlyphDatasetSummary) second = NULL;
    g_autoptr(VtDataset) read = NULL;

    options.n_train = 30;
    second = generate_ok (&options, output);
    read = open_split (output, "train");
    g_assert_cmpuint (read->n_samples, ==, 30);
  }
  /* Nothing left beside the outputs and the backgrounds: no temporary
   * folder, no old copy. */
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    guint entries = 0;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_null (strstr (name, "vitrine-partial"));
        entries++;
      }
    g_assert_cmpuint (entries, ==, 3);
  }
  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

typedef struct
{
  GCancellable  *cancellable;
  guint          delay_ms;
  gint64         cancelled_at;
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *c = data;

  g_usleep (c->delay_ms * 1000);
  c->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (c->cancellable);
  return NULL;
}

/* Cancelled while it renders, a generation stops and leaves nothing: no
 * dataset, no temporary folder. It returns once it has removed the files
 * it wrote, which on a loaded disk takes seconds for a few thousand
 * (unlinks at several milliseconds each were seen here), so the bound is
 * a tenth of the time the whole would take, not vt-test-util's 200 ms. */
static void
test_cancel (void)
{
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *output = g_build_filename (dir, "glyphs", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(VtGlyphDatasetSummary) summary = NULL;
  g_autoptr(GDir) d = NULL;
  Canceller canceller = { cancellable, 1000, 0 };
  VtGlyphDatasetOptions options;
  GThread *thread;
  gint64 started, returned;

  /* Minutes of work if it ran to its end (over 1,000 images a second here). */
  options_for (&options, 400000, 1000, 1);
  use_demo_backgrounds (&options, dir);
  started = g_get_monotonic_time ();
  thread = g_thread_new ("cancel", cancel_later, &canceller);
  summary = vt_glyph_dataset_generate (&options, output, NULL, NULL, cancellable, &error);
  returned = g_get_monotonic_time ();
  g_thread_join (thread);
  g_test_message ("cancelled %.0f ms after the start, returned %.0f ms after the cancel",
                  (canceller.cancelled_at - started) / 1e3, (returned - canceller.cancelled_at) / 1e3);
  g_assert_null (summary);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (returned - canceller.cancelled_at, <, 30 * G_USEC_PER_SEC);
  g_assert_false (g_file_test (output, G_FILE_TEST_EXISTS));
  d = g_dir_open (dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (d), ==, "backgrounds");
  g_assert_null (g_dir_read_name (d));
  vt_glyph_dataset_options_clear (&options);
  vt_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/glyph-dataset/masks", test_masks);
  g_test_add_func ("/engine/glyph-dataset/reference", test_reference);
  g_test_add_func ("/engine/glyph-dataset/same-seed", test_same_seed);
  g_test_add_func ("/engine/glyph-dataset/spurious", test_spurious);
  g_test_add_func ("/engine/glyph-dataset/reader", test_reader);
  g_test_add_func ("/engine/glyph-dataset/bad-input", test_bad_input);
  g_test_add_func ("/engine/glyph-dataset/cancel", test_cancel);
  return g_test_run ();
}
