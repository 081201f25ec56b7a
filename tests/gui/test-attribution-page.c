/* test-attribution-page.c: the Attribution area in the real window, in
 * process, under Xvfb, on the real CIFAR ResNet-20 and a CIFAR-10 test
 * JPEG. The area appears for classifiers with a backward pass (ResNet-20,
 * the timm ViT fixture) and not for a TensorFlow Lite model; the methods
 * chosen show as a row of maps, each equal to vt_cam_compute's on the same
 * pixels, and a new target or layer computes the engine's maps for it;
 * Cancel stops a Score-CAM computation; Export writes the figures and a
 * safetensors file holding the maps; a sample of the Dataset area's
 * dataset is explained by its index; a file that is not an image is an
 * error that names it. Every test runs as a watchdog step. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <string.h>

#include "figures/vt-figure-render.h"
#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "io/vt-image.h"
#include "methods/attribution/vt-cam.h"
#include "methods/attribution/vt-gradient-attribution.h"
#include "models/vt-trainable.h"
#include "models/vt-transform.h"
#include "vitrine-application.h"
#include "vitrine-attribution-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

/* float32 maps from the same pixels through the same engine calls: they
 * agree to rounding at most. */
#define MAP_TOLERANCE 1e-6

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static gboolean
page_idle (gpointer page)
{
  return !vitrine_attribution_page_is_busy (page);
}

static gboolean
is_null (gpointer pointer)
{
  return *(gpointer *) pointer == NULL;
}

static VitrineWindow *
open_window (const char *path)
{
  VitrineWindow *window = vitrine_window_new (app);

  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", path);
  g_assert_true (vitrine_window_is_loading (window));
  vt_gui_wait_until (loaded, window, 60, "the checkpoint to load");
  return window;
}

static void
close_window (VitrineWindow *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  vt_gui_wait_until (is_null, &window, 30, "the closed window to be finalized");
}

static char *
resnet20 (void)
{
  return vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
}

static char *
cifar_image (void)
{
  return vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
}

/* The page of a window on @checkpoint, its layers listed, with exactly
 * the methods @methods (NULL-terminated) chosen. */
static VitrineAttributionPage *
prepare_page (VitrineWindow      *window,
              const char * const *methods)
{
  VitrineAttributionPage *page = vitrine_window_get_attribution_page (window);

  g_assert_true (vitrine_window_shows_area (window, "attribution"));
  vitrine_window_show_area (window, "attribution");
  vt_gui_wait_until (page_idle, page, 60, "the model's layers to be listed");
  g_assert_null (vitrine_attribution_page_get_error (page));
  for (int m = 0; m < VT_CAM_N_METHODS; m++)
    g_assert_true (vitrine_attribution_page_set_method (page, vt_cam_method_name (m),
                                                        g_strv_contains (methods, vt_cam_method_name (m))));
  return page;
}

static void
open_image (VitrineAttributionPage *page,
            const char             *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);

  vitrine_attribution_page_open (page, file);
  g_assert_true (vitrine_attribution_page_is_busy (page));
  vt_gui_wait_until (page_idle, page, 120, "the maps to be computed");
  g_assert_null (vitrine_attribution_page_get_error (page));
}

/* vt_cam_compute on the image as the model's eval transform makes it. */
typedef struct
{
  VtCheckpoint   *checkpoint;
  VtArchitecture *arch;
  VtTrainable    *model;
  float          *pixels;
  int             size;
} Reference;

static void
reference_load (Reference  *r,
                const char *checkpoint_path,
                const char *image_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = NULL;
  VtTransform transform;

  r->checkpoint = vt_checkpoint_open (checkpoint_path, &error);
  g_assert_no_error (error);
  r->arch = vt_architecture_recognize (r->checkpoint);
  r->model = vt_trainable_new (r->checkpoint, r->arch, &error);
  g_assert_no_error (error);
  image = vt_image_load (image_path, &error);
  g_assert_no_error (error);
  vt_transform_init_from_architecture (&transform, r->arch);
  r->size = transform.crop_size;
  r->pixels = g_new (float, 3 * r->size * r->size);
  vt_transform_apply (&transform, image, r->pixels);
}

static void
reference_clear (Reference *r)
{
  g_free (r->pixels);
  vt_trainable_free (r->model);
  vt_architecture_free (r->arch);
  vt_checkpoint_unref (r->checkpoint);
}

/* The page shows one map per name in @methods, in that order, each the
 * engine's for @layer and @target (−1: predicted) to MAP_TOLERANCE, in
 * the row's figure too; returns the target the engine explained. */
static gint64
assert_shows (VitrineAttributionPage *page,
              Reference              *r,
              const char * const     *methods,
              const char             *layer,
              gint64                  target)
{
  guint n = g_strv_length ((char **) methods);
  gsize plane = (gsize) r->size * r->size;
  g_autofree VtCamMethod *cams = g_new (VtCamMethod, n);
  g_autofree float **maps = g_new (float *, n);
  g_autofree double *seconds = g_new (double, n);
  g_autoptr(GError) error = NULL;
  VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_attribution_page_get_view (page)));
  gint64 target_out, predicted;

  for (guint m = 0; m < n; m++)
    {
      g_assert_true (vt_cam_method_from_name (methods[m], &cams[m]));
      maps[m] = g_new (float, plane);
    }
  g_assert_true (vt_cam_compute (r->model, layer, r->arch->patch_size, r->pixels, 1, r->size, r->size,
                                 target >= 0 ? &target : NULL, cams, n, 16, &target_out, &predicted, maps, seconds,
                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (vitrine_attribution_page_get_layer (page), ==, layer);
  g_assert_cmpint (vitrine_attribution_page_get_target (page), ==, target_out);
  g_assert_cmpint (vitrine_attribution_page_get_predicted (page), ==, predicted);
  g_assert_nonnull (figure);
  g_assert_cmpint (figure->kind, ==, VT_FIGURE_OVERLAY_ROW);
  g_assert_cmpuint (figure->n_maps, ==, n);
  g_assert_cmpuint (figure->rows, ==, (guint) r->size);
  for (guint m = 0; m < n; m++)
    {
      int h = 0, w = 0;
      const float *shown = vitrine_attribution_page_get_map (page, methods[m], &h, &w);
      double largest = 0;
      float peak = 0;

      g_assert_nonnull (shown);
      g_assert_cmpint (h, ==, r->size);
      g_assert_cmpint (w, ==, r->size);
      for (gsize p = 0; p < plane; p++)
        {
          largest = MAX (largest, fabs ((double) shown[p] - maps[m][p]));
          g_assert_cmpfloat (figure->values[m * plane + p], ==, (double) shown[p]);
          peak = MAX (peak, maps[m][p]);
        }
      g_test_message ("%s at %s, target %" G_GINT64_FORMAT ": largest difference to vt_cam_compute %g",
                      methods[m], layer, target_out, largest);
      g_assert_cmpfloat (largest, <=, MAP_TOLERANCE);
      g_assert_cmpfloat (peak, >, 0.5f);   /* a map, not zeros */
      g_free (maps[m]);
    }
  return target_out;
}

static void
test_shown (void)
{
  static const struct { const char *path; gboolean shown; } cases[] = {
    { "models/cifar-resnet/resnet20-12fca82f.safetensors", TRUE },
    { "reference/timm/vit_cls.safetensors", TRUE },
    /* A forward pass, but no backward pass. */
    { "models/coral-mobilenet/mobilenet_v2_1.0_224_quant.tflite", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = vt_test_asset (cases[i].path);
      VitrineWindow *window;

      vt_gui_step_begin (90, "open %s", cases[i].path);
      window = open_window (path);
      g_assert_true (vitrine_window_shows_area (window, "model"));
      g_assert_cmpint (vitrine_window_shows_area (window, "attribution"), ==, cases[i].shown);
      if (cases[i].shown)
        {
          VitrineAttributionPage *page = vitrine_window_get_attribution_page (window);

          vt_gui_wait_until (page_idle, page, 60, "the model's layers to be listed");
          g_assert_null (vitrine_attribution_page_get_error (page));
          g_assert_nonnull (vitrine_attribution_page_get_layer (page));
        }
      if (cases[i].shown && strstr (cases[i].path, "vit") != NULL)
        {
          /* A ViT's tokens laid back on the patch grid, at its last block. */
          static const char * const one[] = { "gradcam", NULL };
          g_autofree char *image = cifar_image ();
          VitrineAttributionPage *page = prepare_page (window, one);
          Reference r = { 0 };

          g_assert_cmpstr (vitrine_attribution_page_get_layer (page), ==, "blocks.1.norm1");
          reference_load (&r, path, image);
          open_image (page, image);
          assert_shows (page, &r, one, "blocks.1.norm1", -1);
          reference_clear (&r);
        }
      close_window (window);
      vt_gui_step_end ();
    }
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), name, NULL);

  g_assert_true (vt_gui_save_png (widget, path));
  g_test_message ("screenshot: %s", path);
}

static void
test_maps (void)
{
  static const char * const two[] = { "gradcam", "layercam", NULL };
  g_autofree char *checkpoint = resnet20 ();
  g_autofree char *image = cifar_image ();
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttributionPage *page = prepare_page (window, two);
  Reference r = { 0 };
  gint64 predicted, other;
  g_autofree float *before = NULL;
  int h, w, differ = 0;

  reference_load (&r, checkpoint, image);
  vt_gui_step_begin (60, "two methods at the default layer, for the predicted class");
  open_image (page, image);
  predicted = assert_shows (page, &r, two, "layer3", -1);
  {
    const float *map = vitrine_attribution_page_get_map (page, "gradcam", &h, &w);

    before = g_memdup2 (map, sizeof (float) * h * w);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (60, "another target computes the maps again");
  other = (predicted + 1) % 10;
  vitrine_attribution_page_set_target (page, other);
  g_assert_true (vitrine_attribution_page_is_busy (page));
  vt_gui_wait_until (page_idle, page, 60, "the maps of another target");
  g_assert_null (vitrine_attribution_page_get_error (page));
  g_assert_cmpint (assert_shows (page, &r, two, "layer3", other), ==, other);
  {
    const float *after = vitrine_attribution_page_get_map (page, "gradcam", &h, &w);

    for (int p = 0; p < h * w; p++)
      differ += fabsf (after[p] - before[p]) > 1e-3f;
  }
  g_test_message ("%d of %d pixels of Grad-CAM changed with the target", differ, h * w);
  g_assert_cmpint (differ, >, h * w / 10);
  vt_gui_step_end ();

  vt_gui_step_begin (60, "another layer computes the maps again");
  g_assert_true (vitrine_attribution_page_set_layer (page, "layer2"));
  vt_gui_wait_until (page_idle, page, 60, "the maps at layer2");
  g_assert_null (vitrine_attribution_page_get_error (page));
  assert_shows (page, &r, two, "layer2", other);
  vt_gui_step_end ();

  /* The screenshot: every method but Score-CAM, for the predicted class. */
  vt_gui_step_begin (60, "the screenshot");
  {
    static const char * const six[] = { "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", "eigencam", NULL };

    for (guint m = 0; six[m]; m++)
      vitrine_attribution_page_set_method (page, six[m], TRUE);
    vitrine_attribution_page_set_target (page, -1);
    g_assert_true (vitrine_attribution_page_set_layer (page, "layer3"));
    vt_gui_wait_until (page_idle, page, 60, "the maps of six methods");
    g_assert_null (vitrine_attribution_page_get_error (page));
    assert_shows (page, &r, six, "layer3", -1);
    g_assert_true (vt_gui_wait_painted (vitrine_attribution_page_get_view (page), 10000));
    save_screenshot (GTK_WIDGET (window), "attribution-area.png");
  }
  vt_gui_step_end ();
  close_window (window);
  reference_clear (&r);
}

/* The widget named @name under @root (a method's check button is named
 * after the method). */
static GtkWidget *
find_named (GtkWidget  *root,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (root), name) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found)
        return found;
    }
  return NULL;
}

/* The gradient family beside the CAMs: gradient × input and Integrated
 * Gradients (the defaults: 50 Gauss–Legendre steps from the zeros
 * baseline) show the engine's maps, signed, on their family's scale
 * symmetric about 0, and IG's caption carries its completeness gap; gradient rollout is
 * off for a ResNet. */
static void
test_gradients (void)
{
  static const char * const cams[] = { "gradcam", NULL };
  static const char * const gradients[] = { "gradient_x_input", "ig", NULL };
  g_autofree char *checkpoint = resnet20 ();
  g_autofree char *image = cifar_image ();
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttributionPage *page = prepare_page (window, cams);
  VtFigure *figure;
  Reference r = { 0 };
  gsize plane;
  gboolean negative = FALSE;

  g_assert_false (gtk_widget_get_sensitive (find_named (GTK_WIDGET (page), "gradient_rollout")));
  for (guint m = 0; gradients[m]; m++)
    g_assert_true (vitrine_attribution_page_set_method (page, gradients[m], TRUE));
  reference_load (&r, checkpoint, image);
  plane = (gsize) r.size * r.size;
  vt_gui_step_begin (90, "gradient × input and IG beside Grad-CAM");
  open_image (page, image);
  figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_attribution_page_get_view (page)));
  g_assert_cmpuint (figure->n_maps, ==, 3);
  for (guint m = 0; gradients[m]; m++)
    {
      VtGradientAttributionMethod method;
      VtGradientAttributionOptions options;
      g_autofree float *expected = g_new (float, plane);
      g_autoptr(GError) error = NULL;
      gint64 target, predicted;
      double gap, largest = 0, top = 0;
      int h, w;
      const float *shown;

      g_assert_true (vt_gradient_attribution_method_from_name (gradients[m], &method, NULL));
      vt_gradient_attribution_options_init (&options);
      memcpy (options.mean, r.arch->mean, sizeof options.mean);
      memcpy (options.std, r.arch->std, sizeof options.std);
      g_assert_true (vt_gradient_attribute (r.model, method, &options, r.pixels, 1, r.size, r.size, NULL, expected,
                                            &target, &predicted, &gap, NULL, NULL, &error));
      g_assert_no_error (error);
      shown = vitrine_attribution_page_get_map (page, gradients[m], &h, &w);
      g_assert_nonnull (shown);
      for (gsize p = 0; p < plane; p++)
        {
          largest = MAX (largest, fabs ((double) shown[p] - expected[p]));
          top = MAX (top, fabs ((double) expected[p]));
          negative |= shown[p] < 0;
        }
      g_test_message ("%s: largest difference to vt_gradient_attribute %g (largest |map| %g)", gradients[m],
                      largest, top);
      g_assert_cmpfloat (largest, <=, MAP_TOLERANCE * top);
      if (method == VT_GRADIENT_ATTRIBUTION_IG)
        {
          g_autofree char *caption = g_strdup_printf ("gap %.2g", gap);

          g_assert_nonnull (strstr (figure->col_labels[2], caption));
        }
    }
  /* Signed maps: their family's scale is symmetric about 0; Grad-CAM's,
   * the CAM family's, runs from 0. */
  g_assert_true (negative);
  g_assert_nonnull (figure->map_min);
  g_assert_cmpfloat (figure->map_min[0], ==, 0.0);
  for (guint m = 1; m < 3; m++)
    {
      g_assert_cmpfloat (figure->map_min[m], ==, -figure->map_max[m]);
      g_assert_cmpfloat (figure->map_max[m], ==, figure->map_max[1]);
    }
  g_assert_true (vt_gui_wait_painted (vitrine_attribution_page_get_view (page), 10000));
  save_screenshot (GTK_WIDGET (window), "attribution-area-gradients.png");
  vt_gui_step_end ();
  close_window (window);
  reference_clear (&r);
}

static void
test_cancel (void)
{
  static const char * const score[] = { "scorecam", NULL };
  g_autofree char *checkpoint = resnet20 ();
  g_autofree char *image = cifar_image ();
  g_autoptr(GFile) file = g_file_new_for_path (image);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttributionPage *page = prepare_page (window, score);
  int h, w;

  /* Score-CAM alone: the only place the computation looks at Cancel is
   * between its batches of masked inputs, so a computation that reports
   * it was cancelled stopped there. One that finished before Cancel came
   * (the main thread held up for the whole computation) shows its map;
   * three tries make that harmless. */
  for (guint attempt = 0; attempt < 3 && !vitrine_attribution_page_was_cancelled (page); attempt++)
    {
      vitrine_attribution_page_open (page, file);
      g_assert_true (vitrine_attribution_page_is_busy (page));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "attribution.cancel", NULL));
      vt_gui_wait_until (page_idle, page, 10, "the cancelled Score-CAM to stop");
      g_assert_null (vitrine_attribution_page_get_error (page));
      g_test_message ("try %u: %s", attempt + 1,
                      vitrine_attribution_page_was_cancelled (page) ? "stopped" : "had finished");
      g_assert_cmpint (vitrine_attribution_page_get_map (page, "scorecam", &h, &w) == NULL, ==,
                       vitrine_attribution_page_was_cancelled (page));
    }
  g_assert_true (vitrine_attribution_page_was_cancelled (page));
  g_assert_null (vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_attribution_page_get_view (page))));

  /* Compute, uncancelled, then shows the map. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "attribution.compute", NULL));
  vt_gui_wait_until (page_idle, page, 60, "Score-CAM");
  g_assert_false (vitrine_attribution_page_was_cancelled (page));
  g_assert_nonnull (vitrine_attribution_page_get_map (page, "scorecam", &h, &w));
  close_window (window);
}

static gboolean
has_prefix_bytes (const char *path,
                  const char *magic,
                  gsize       n)
{
  g_autofree char *contents = NULL;
  gsize size = 0;

  return g_file_get_contents (path, &contents, &size, NULL) && size > n && memcmp (contents, magic, n) == 0;
}

static void
test_export (void)
{
  static const char * const two[] = { "hirescam", "eigencam", NULL };
  g_autofree char *checkpoint = resnet20 ();
  g_autofree char *image = cifar_image ();
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *base = g_build_filename (dir, "row", NULL);
  g_autofree char *maps_path = g_build_filename (dir, "maps.safetensors", NULL);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttributionPage *page = prepare_page (window, two);
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(GError) error = NULL;
  GHashTable *metadata;
  const VtTensor *t;

  open_image (page, image);
  g_assert_true (vitrine_attribution_page_export_row (page, base, &error));
  g_assert_no_error (error);
  {
    g_autofree char *png = g_strconcat (base, ".png", NULL);
    g_autofree char *svg = g_strconcat (base, ".svg", NULL);
    g_autofree char *pdf = g_strconcat (base, ".pdf", NULL);

    g_assert_true (has_prefix_bytes (png, "\x89PNG", 4));
    g_assert_true (has_prefix_bytes (svg, "<?xml", 5));
    g_assert_true (has_prefix_bytes (pdf, "%PDF", 4));
  }
  {
    /* Kept as a test artifact, to look at. */
    g_autofree char *kept = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), "attribution-row", NULL);

    g_assert_true (vitrine_attribution_page_export_row (page, kept, &error));
    g_assert_no_error (error);
  }

  g_assert_true (vitrine_attribution_page_export_maps (page, maps_path, &error));
  g_assert_no_error (error);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  for (guint m = 0; two[m]; m++)
    {
      int h, w;
      const float *shown = vitrine_attribution_page_get_map (page, two[m], &h, &w);
      g_autofree char *key = g_strconcat (two[m], ".definition", NULL);
      VtCamMethod method;

      t = vt_checkpoint_lookup (maps, two[m]);
      g_assert_nonnull (t);
      g_assert_cmpint (t->dtype, ==, VT_DTYPE_F32);
      g_assert_cmpuint (t->ndim, ==, 3);
      g_assert_cmpint (t->shape[0], ==, 1);
      g_assert_cmpint (t->shape[1], ==, h);
      g_assert_cmpint (t->shape[2], ==, w);
      g_assert_true (memcmp (t->data, shown, sizeof (float) * h * w) == 0);
      g_assert_true (vt_cam_method_from_name (two[m], &method));
      g_assert_cmpstr (g_hash_table_lookup (vt_checkpoint_get_metadata (maps), key), ==,
                       vt_cam_method_formula (method));
    }
  t = vt_checkpoint_lookup (maps, "targets");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, VT_DTYPE_I64);
  g_assert_cmpint (t->numel, ==, 1);
  g_assert_cmpint (((const gint64 *) t->data)[0], ==, vitrine_attribution_page_get_target (page));
  t = vt_checkpoint_lookup (maps, "samples");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, VT_DTYPE_I64);
  g_assert_cmpint (((const gint64 *) t->data)[0], ==, 0);
  metadata = vt_checkpoint_get_metadata (maps);
  g_assert_cmpstr (g_hash_table_lookup (metadata, "layer"), ==, "layer3");
  g_assert_true (g_str_has_suffix (g_hash_table_lookup (metadata, "checkpoint"), "/resnet20-12fca82f.safetensors"));
  {
    g_autoptr(GFile) file = g_file_new_for_path (image);
    g_autofree char *named = g_file_get_path (file);   /* as the page names it: canonical */

    g_assert_cmpstr (g_hash_table_lookup (metadata, "image"), ==, named);
  }
  close_window (window);
  vt_test_rm_rf (dir);
}

static gboolean
dataset_idle (gpointer page)
{
  return !vitrine_dataset_page_is_busy (page);
}

/* A sample of the dataset open in the Dataset area, picked by its index. */
static void
test_dataset_sample (void)
{
  static const char * const one[] = { "gradcam++", NULL };
  g_autofree char *checkpoint = resnet20 ();
  g_autofree char *folder = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                              NULL);
  g_autoptr(GFile) folder_file = g_file_new_for_path (folder);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttributionPage *page = prepare_page (window, one);
  g_autofree char *name = NULL;
  VtDataset *dataset;
  Reference r = { 0 };

  vitrine_window_open_dataset (window, folder_file);
  vt_gui_wait_until (dataset_idle, vitrine_window_get_dataset_page (window), 60, "the dataset to open");
  dataset = vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window));
  g_assert_nonnull (dataset);
  g_assert_cmpuint (dataset->n_samples, >, 7);
  vitrine_window_show_area (window, "attribution");
  vitrine_attribution_page_open_sample (page, 7);
  vt_gui_wait_until (page_idle, page, 60, "the maps of sample 7");
  g_assert_null (vitrine_attribution_page_get_error (page));
  name = vt_dataset_sample_name (dataset, 7);
  reference_load (&r, checkpoint, name);
  assert_shows (page, &r, one, "layer3", -1);
  close_window (window);
  reference_clear (&r);
}

static void
test_not_an_image (void)
{
  static const char * const one[] = { "gradcam", NULL };
  g_autofree char *checkpoint = resnet20 ();
  g_autoptr(GFile) file = g_file_new_for_path (checkpoint);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttributionPage *page = prepare_page (window, one);
  g_autofree char *named = g_file_get_path (file);
  g_autofree char *prefix = g_strconcat (named, ": ", NULL);
  const char *message;
  int h, w;

  vitrine_attribution_page_open (page, file);
  vt_gui_wait_until (page_idle, page, 60, "the failed computation");
  message = vitrine_attribution_page_get_error (page);
  g_assert_nonnull (message);
  g_test_message ("%s", message);
  g_assert_true (g_str_has_prefix (message, prefix));
  g_assert_null (vitrine_attribution_page_get_map (page, "gradcam", &h, &w));
  /* Nothing to export: no chooser opens. */
  {
    guint before = g_list_model_get_n_items (gtk_window_get_toplevels ());

    gtk_widget_activate_action (GTK_WIDGET (page), "attribution.export-maps", NULL);
    vt_gui_spin (200);
    g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, before);
  }
  close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/attribution/shown", test_shown, 300 },
    { "/gui/attribution/maps", test_maps, 300 },
    { "/gui/attribution/gradients", test_gradients, 180 },
    { "/gui/attribution/cancel", test_cancel, 180 },
    { "/gui/attribution/export", test_export, 180 },
    { "/gui/attribution/dataset-sample", test_dataset_sample, 120 },
    { "/gui/attribution/not-an-image", test_not_an_image, 120 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
