/* vt-glyph-dataset.h: a dataset whose masks are exact, for judging
 * attribution maps: grey glyphs (Fashion-MNIST by default) pasted at random
 * places and sizes onto photographs (CIFAR-10), labelled by the glyph's
 * class, with the glyph's stroke pixels as the mask.
 *
 * The output is an image folder that vt_dataset_open reads, with its masks:
 *
 *   OUTPUT/train/<class>/NNNNN.png        the images (8-bit RGB)
 *   OUTPUT/test/<class>/NNNNN.png
 *   OUTPUT/masks/{train,test}/<class>/NNNNN.png   1-bit: white on the glyph
 *   OUTPUT/placements.csv   per image: where its glyph and background come
 *                           from, the glyph's place, size and colour
 *   OUTPUT/glyphs.json      the options, seed, counts, class histograms and
 *                           the agreement of background and label measured
 *
 * <class> is the glyph dataset's class name made a file name ("T-shirt/top"
 * is "T-shirt_top": characters other than letters, digits, "-", "_" and "."
 * become "_"); NNNNN numbers the images of a split in the order
 * drawn. Labels are the folders' sorted order, as the reader gives them.
 *
 * Image i of a split has label i mod K (K the glyph classes, labels in
 * the folders' order), so every class has n/K images, rounded. Its draws come from numpy's legacy
 * stream (vt-random.h) seeded with @seed, the training images' first, then
 * the test images', each image in this order: the glyph (uniform among its
 * class's in the glyph split), its side s (uniform in [glyph_min,
 * glyph_max]), x and y (uniform in [0, size − s]), the colour (three values
 * in [0, 255] when random), then the background. With @spurious, first of
 * all round(agreement · n_train) training images are chosen (a permutation)
 * whose background has the glyph's label (background class k, in the
 * background dataset's order, for label k); the others draw a background
 * class among the rest; the background is then uniform within its class.
 * Otherwise, and always for the test split, the background is uniform over
 * the background split, whatever its class.
 *
 * Pixels: the background (resized with Pillow's bilinear filter when it is
 * not size × size), the glyph resized to s × s likewise. Where the resized
 * glyph value g exceeds @threshold, the mask is 1 and the pixel becomes
 * (background · (255 − g) + colour · g + 127) / 255; everywhere else the
 * pixel is the background's, untouched: the image differs from its
 * background only inside the mask.
 *
 * The whole tree is written into OUTPUT.vitrine-partial-XXXXXX beside
 * OUTPUT and renamed into place at the end, so a killed or cancelled
 * generation leaves no half dataset at OUTPUT. A cancelled or failed one
 * removes its temporary folder; a killed process leaves it beside OUTPUT
 * (nothing sweeps those yet). An existing OUTPUT is
 * replaced only if it is an empty folder or a dataset generated here (it
 * holds glyphs.json). */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "core/vt-events.h"

G_BEGIN_DECLS

#define VT_GLYPH_DATASET_ERROR (vt_glyph_dataset_error_quark ())
GQuark vt_glyph_dataset_error_quark (void);

typedef enum
{
  VT_GLYPH_DATASET_ERROR_OPTION,   /* an option out of range, or options that do not fit together */
  VT_GLYPH_DATASET_ERROR_INPUT,    /* the glyphs or backgrounds cannot be read, or do not fit */
  VT_GLYPH_DATASET_ERROR_OUTPUT,   /* the output cannot be written */
} VtGlyphDatasetError;

/* Where Debian's dataset-fashion-mnist puts its IDX files. */
#define VT_GLYPH_DATASET_DEFAULT_GLYPHS "/usr/share/datasets/fashion-mnist"

typedef struct
{
  char      *glyphs;        /* an IDX dataset with train and test splits */
  char      *backgrounds;   /* any dataset with train and test splits */
  guint      size;          /* of the square images: 32 */
  guint      glyph_min;     /* the glyph's side, pixels: 16 */
  guint      glyph_max;     /* 24 */
  guint      n_train;       /* 5000 */
  guint      n_test;        /* 1000 */
  guint32    seed;          /* 0 */
  gboolean   spurious;      /* background class agrees with the label in … */
  double     agreement;     /* … this share of training images: 0.9 */
  guint      threshold;     /* glyph value > threshold is the mask: 32 */
  gboolean   random_color;  /* TRUE; else @color */
  guint8     color[3];      /* white */
} VtGlyphDatasetOptions;

/* The defaults above; @glyphs is VT_GLYPH_DATASET_DEFAULT_GLYPHS and
 * @backgrounds NULL (it must be set). */
void      vt_glyph_dataset_options_init   (VtGlyphDatasetOptions        *options);
void      vt_glyph_dataset_options_clear  (VtGlyphDatasetOptions        *options);
/* FALSE with a VT_GLYPH_DATASET_ERROR_OPTION error naming the option as
 * @prefix + its key ("glyph_max", "agreement", …), e.g. "$.steps[0]." for a
 * spec, when an option is out of range or they do not fit together. */
gboolean  vt_glyph_dataset_check_options  (const VtGlyphDatasetOptions  *options,
                                           const char                   *prefix,
                                           GError                      **error);

/* The options as members of @object, named as the glyphs step's keys
 * ("train_images", "color": "random" or [r, g, b], …). */
void      vt_glyph_dataset_options_to_json (const VtGlyphDatasetOptions *options,
                                            JsonObject                  *object);

/* The bytes a generation with @options allocates beyond its inputs (the
 * datasets' own listings and pixels): every image's placement, the images
 * being rendered by @threads threads, and the summary. */
double    vt_glyph_dataset_bytes          (const VtGlyphDatasetOptions  *options,
                                           int                           threads);

/* What a generation wrote, as glyphs.json says it. */
typedef struct
{
  char     *output;
  guint     n_classes;
  char    **class_names;        /* the folder names, in label order */
  char    **background_names;   /* the background dataset's classes */
  guint     n_images[2];        /* train, test */
  guint    *class_counts[2];    /* n_classes per split */
  double    agreement[2];       /* share of images whose background class is the label */
  double    mask_area[2];       /* mean share of an image's pixels in its mask */
  guint     empty_masks[2];     /* images whose glyph has no value above the threshold */
  double    seconds;
} VtGlyphDatasetSummary;

void      vt_glyph_dataset_summary_free   (VtGlyphDatasetSummary        *summary);

/* Generates the dataset into @output. Progress goes to @sink (may be NULL)
 * as VT_EVENT_PROGRESS. Errors name the option (@prefix + key) or file;
 * G_IO_ERROR_CANCELLED when cancelled, leaving @output as it was. */
VtGlyphDatasetSummary *vt_glyph_dataset_generate (const VtGlyphDatasetOptions  *options,
                                                  const char                   *output,
                                                  const char                   *prefix,
                                                  const VtEventSink            *sink,
                                                  GCancellable                 *cancellable,
                                                  GError                      **error);

/* The summary as glyphs.json holds it (without the options). */
JsonObject *vt_glyph_dataset_summary_to_json (const VtGlyphDatasetSummary *summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtGlyphDatasetSummary, vt_glyph_dataset_summary_free)

G_END_DECLS
