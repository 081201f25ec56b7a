/* test-attention-page.c: the Attention area in the real window, in
 * process, under Xvfb. It appears for ViTs with a class token and not for
 * ResNets; a click on a grid cell, a click on a patch, the fusion, the
 * rollout, its vit-explain switch and the mass mask each show exactly the
 * map the engine's vt_attention_* functions give on a forward pass of the
 * same image; the arrow keys move through layers and heads; Export writes
 * the figures and the maps; a file that is not an image is an error that
 * names it. For a CLIP checkpoint, the Text mode shows a prompt's token ×
 * token attention equal to the engine's (vt-text-attention.h), with the
 * tokens on both axes and the causal upper triangle empty, and changing the
 * layer, the head or the fusion changes it to the engine's matrix for
 * those. Every test runs as a watchdog step. */
#include <glib/gstdio.h>
#include <math.h>
#include <gtk/gtk.h>
#include <string.h>

#include "figures/vt-figure-render.h"
#include "io/vt-checkpoint.h"
#include "io/vt-dataset.h"
#include "io/vt-image.h"
#include "methods/attribution/vt-attention-maps.h"
#include "methods/attribution/vt-text-attention.h"
#include "models/vt-model.h"
#include "models/vt-transform.h"
#include "vitrine-application.h"
#include "vitrine-attention-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-window.h"
#include "vt-gui-program.h"
#include "vt-gui-util.h"
#include "vt-test-util.h"

static VitrineApplication *app;

static gboolean
loaded (gpointer window)
{
  return !vitrine_window_is_loading (window);
}

static gboolean
page_idle (gpointer page)
{
  return !vitrine_attention_page_is_busy (page);
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

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  g_autofree char *path = g_build_filename (g_getenv ("VITRINE_ARTIFACTS"), name, NULL);

  g_assert_true (vt_gui_save_png (widget, path));
  g_test_message ("screenshot: %s", path);
}

/* The engine's forward pass of the image, as the reference. */
typedef struct
{
  VtCheckpoint  *checkpoint;
  VtModel       *model;
  VtTaps        *taps;
  const float  **probs;
  int            depth, heads, tokens, prefix, gh, gw, size;
} Reference;

static void
reference_load (Reference  *r,
                const char *checkpoint_path,
                const char *image_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = NULL;
  g_autofree float *pixels = NULL;
  const VtArchitecture *arch;
  VtTransform transform;

  r->checkpoint = vt_checkpoint_open (checkpoint_path, &error);
  g_assert_no_error (error);
  r->model = vt_model_new (r->checkpoint, &error);
  g_assert_no_error (error);
  arch = vt_model_get_architecture (r->model);
  image = vt_image_load (image_path, &error);
  g_assert_no_error (error);
  vt_transform_init_from_architecture (&transform, arch);
  r->size = transform.crop_size;
  pixels = g_new (float, 3 * r->size * r->size);
  vt_transform_apply (&transform, image, pixels);
  r->taps = vt_model_forward (r->model, pixels, 1, r->size, r->size, VT_TAP_ATTENTION, &error);
  g_assert_no_error (error);
  r->depth = arch->depth;
  r->heads = arch->heads;
  r->gh = r->gw = r->size / arch->patch_size;
  r->probs = g_new (const float *, r->depth);
  for (int l = 0; l < r->depth; l++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%d.attn_probs", l);
      const VtTap *tap = vt_taps_lookup (r->taps, name);

      g_assert_nonnull (tap);
      r->probs[l] = tap->data;
      r->tokens = tap->shape[2];
    }
  r->prefix = r->tokens - r->gh * r->gw;
  g_assert_cmpint (r->prefix, >=, 1);
}

static void
reference_clear (Reference *r)
{
  g_free (r->probs);
  vt_taps_free (r->taps);
  vt_model_free (r->model);
  vt_checkpoint_unref (r->checkpoint);
}

/* The shown map equals @expected (gh × gw) exactly: the page computes it
 * with the same engine calls on the same taps; and the figure drawn holds
 * its upsampling. */
static void
assert_shows (VitrineAttentionPage *page,
              const Reference      *r,
              const float          *expected,
              const char           *what)
{
  int gh, gw;
  const float *map = vitrine_attention_page_get_map (page, &gh, &gw);
  VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_attention_page_get_view (page)));
  g_autofree float *up = g_new (float, (gsize) r->size * r->size);
  double largest = 0;

  g_assert_nonnull (map);
  g_assert_cmpint (gh, ==, r->gh);
  g_assert_cmpint (gw, ==, r->gw);
  for (int p = 0; p < gh * gw; p++)
    largest = MAX (largest, fabs (map[p] - expected[p]));
  g_test_message ("%s: largest difference to the engine's map %g", what, largest);
  g_assert_cmpfloat (largest, ==, 0.0);
  vt_attention_upsample (expected, gh, gw, r->size, r->size, up);
  g_assert_nonnull (figure);
  g_assert_cmpint (figure->kind, ==, VT_FIGURE_OVERLAY);
  g_assert_cmpuint (figure->rows, ==, (guint) r->size);
  for (int p = 0; p < r->size * r->size; p++)
    g_assert_cmpfloat (figure->values[p], ==, (double) up[p]);
}

static GtkEventController *
find_controller (GtkWidget *widget,
                 GType      type)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (controller, type))
        return controller;   /* the widget keeps it */
    }
  g_assert_not_reached ();
}

/* A click as the widget's own click gesture receives it. */
static void
click (GtkWidget *widget,
       double     x,
       double     y)
{
  g_signal_emit_by_name (find_controller (widget, GTK_TYPE_GESTURE_CLICK), "pressed", 1, x, y);
}

static void
press_key (GtkWidget *widget,
           guint      keyval)
{
  gboolean handled = FALSE;

  g_signal_emit_by_name (find_controller (widget, GTK_TYPE_EVENT_CONTROLLER_KEY), "key-pressed", keyval, 0, 0,
                         &handled);
  g_assert_true (handled);
}

/* The widget that the label @text (with its mnemonic) under @root is for. */
static GtkWidget *
labelled (GtkWidget  *root,
          const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_label (GTK_LABEL (child)), text) == 0)
        return gtk_label_get_mnemonic_widget (GTK_LABEL (child));
      if ((found = labelled (child, text)) != NULL)
        return found;
    }
  return NULL;
}

static void
head_map (const Reference *r, int layer, int head, int query, float *out)
{
  vt_attention_token_map (r->probs[layer] + (gsize) head * r->tokens * r->tokens, r->tokens, r->prefix, query, out);
}

static VitrineAttentionPage *
open_image (VitrineWindow *window,
            const char    *image_path)
{
  VitrineAttentionPage *page = vitrine_window_get_attention_page (window);
  g_autoptr(GFile) file = g_file_new_for_path (image_path);

  vitrine_window_show_area (window, "attention");
  vitrine_attention_page_open (page, file);
  vt_gui_wait_until (page_idle, page, 60, "the forward pass with attention kept");
  g_assert_null (vitrine_attention_page_get_error (page));
  return page;
}

static void
test_shown_for_vits (void)
{
  static const struct { const char *path; gboolean demo, shown; } cases[] = {
    { "reference/timm/vit_cls.safetensors", FALSE, TRUE },
    { "reference/timm/deit_distilled.safetensors", FALSE, TRUE },
    /* Attention, but no class token whose attention the grid shows. */
    { "reference/timm/vit_avg.safetensors", FALSE, FALSE },
    /* No attention at all. */
    { "resnet20-12fca82f.safetensors", TRUE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = cases[i].demo ? g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo",
                                                                cases[i].path, NULL)
                                            : vt_test_asset (cases[i].path);
      VitrineWindow *window;

      vt_gui_step_begin (90, "open %s", cases[i].path);
      window = open_window (path);
      g_assert_true (vitrine_window_shows_area (window, "model"));
      g_assert_cmpint (vitrine_window_shows_area (window, "attention"), ==, cases[i].shown);
      close_window (window);
      vt_gui_step_end ();
    }
}

static void
test_maps (void)
{
  g_autofree char *checkpoint = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *image = vt_test_asset ("datasets/cifar10-jpg/test/cat/0000.jpg");
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttentionPage *page = open_image (window, image);
  VitrineAttentionGrid *grid = vitrine_attention_page_get_grid (page);
  GtkWidget *view = vitrine_attention_page_get_view (page);
  Reference r = { 0 };
  g_autofree float *expected = NULL;
  g_autofree float *fused = NULL;
  g_autofree float *rollout = NULL;
  g_autofree float *correct = NULL;
  g_autoptr(GError) error = NULL;
  graphene_rect_t cell;
  double x0, y0, w, h;
  VtRolloutOptions options;
  int row = 1, col = 2, differ = 0;

  reference_load (&r, checkpoint, image);
  expected = g_new (float, r.gh * r.gw);
  fused = g_new (float, (gsize) r.tokens * r.tokens);
  rollout = g_new (float, (gsize) r.tokens * r.tokens);
  correct = g_new (float, r.gh * r.gw);
  g_assert_true (vt_gui_wait_painted (GTK_WIDGET (grid), 10000));

  vt_gui_step_begin (30, "the class token's map of layer 0, head 0 at first");
  head_map (&r, 0, 0, 0, expected);
  assert_shows (page, &r, expected, "layer 0, head 0");
  vt_gui_step_end ();

  vt_gui_step_begin (30, "a click on the cell of layer 1, head 2");
  g_assert_true (vitrine_attention_grid_cell_bounds (grid, 1, 2, &cell));
  click (GTK_WIDGET (grid), cell.origin.x + cell.size.width / 2, cell.origin.y + cell.size.height / 2);
  g_assert_cmpint (vitrine_attention_grid_get_layer (grid), ==, 1);
  g_assert_cmpint (vitrine_attention_grid_get_head (grid), ==, 2);
  head_map (&r, 1, 2, 0, expected);
  assert_shows (page, &r, expected, "layer 1, head 2, class token");
  vt_gui_step_end ();

  vt_gui_step_begin (30, "a click on patch (%d, %d) of the enlarged map", row, col);
  g_assert_true (vt_gui_wait_painted (view, 10000));
  g_assert_true (vt_figure_overlay_geometry (vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view)),
                                             gtk_widget_get_width (view), gtk_widget_get_height (view),
                                             &x0, &y0, &w, &h));
  click (view, x0 + (col + 0.5) * w / r.gw, y0 + (row + 0.5) * h / r.gh);
  g_assert_cmpint (vitrine_attention_page_get_query (page), ==, row * r.gw + col);
  head_map (&r, 1, 2, r.prefix + row * r.gw + col, expected);
  assert_shows (page, &r, expected, "layer 1, head 2, a patch as the query");
  /* Off the image: the query stays. */
  click (view, 1, 1);
  g_assert_cmpint (vitrine_attention_page_get_query (page), ==, row * r.gw + col);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the arrow keys");
  press_key (GTK_WIDGET (grid), GDK_KEY_Right);
  g_assert_cmpint (vitrine_attention_grid_get_head (grid), ==, 3);
  press_key (GTK_WIDGET (grid), GDK_KEY_Up);
  g_assert_cmpint (vitrine_attention_grid_get_layer (grid), ==, 0);
  press_key (GTK_WIDGET (grid), GDK_KEY_Left);
  press_key (GTK_WIDGET (grid), GDK_KEY_Down);
  /* At the edges the selection stays. */
  press_key (GTK_WIDGET (grid), GDK_KEY_Down);
  g_assert_cmpint (vitrine_attention_grid_get_layer (grid), ==, 1);
  g_assert_cmpint (vitrine_attention_grid_get_head (grid), ==, 2);
  press_key (GTK_WIDGET (grid), GDK_KEY_Right);
  head_map (&r, 1, 3, r.prefix + row * r.gw + col, expected);
  assert_shows (page, &r, expected, "layer 1, head 3 after the keys");
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the heads fused by their mean");
  vitrine_attention_page_set_show (page, VITRINE_ATTENTION_FUSED);
  gtk_widget_activate_action (GTK_WIDGET (page), "attention.class-token", NULL);
  g_assert_cmpint (vitrine_attention_page_get_query (page), ==, -1);
  vt_attention_fuse_heads (r.probs[1], r.heads, r.tokens, VT_HEAD_FUSION_MEAN, fused);
  vt_attention_class_map (fused, r.tokens, r.prefix, expected);
  assert_shows (page, &r, expected, "layer 1 fused by the mean");
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the heads fused by their maximum and their minimum");
  {
    static const VtHeadFusion fusions[] = { VT_HEAD_FUSION_MAX, VT_HEAD_FUSION_MIN };
    GtkDropDown *fusion = GTK_DROP_DOWN (labelled (GTK_WIDGET (page), "_Fusion"));

    for (guint i = 0; i < G_N_ELEMENTS (fusions); i++)
      {
        gtk_drop_down_set_selected (fusion, fusions[i]);
        vt_attention_fuse_heads (r.probs[1], r.heads, r.tokens, fusions[i], fused);
        vt_attention_class_map (fused, r.tokens, r.prefix, expected);
        assert_shows (page, &r, expected, vt_head_fusion_name (fusions[i]));
      }
    gtk_drop_down_set_selected (fusion, VT_HEAD_FUSION_MEAN);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the rollout from layer 1 with half the attentions discarded, for a patch");
  {
    GtkSpinButton *start = GTK_SPIN_BUTTON (labelled (GTK_WIDGET (page), "S_tart layer"));
    GtkSpinButton *discard = GTK_SPIN_BUTTON (labelled (GTK_WIDGET (page), "_Discard ratio"));

    vitrine_attention_page_set_show (page, VITRINE_ATTENTION_ROLLOUT);
    gtk_spin_button_set_value (start, 1);
    gtk_spin_button_set_value (discard, 0.5);
    vitrine_attention_page_set_query (page, 6);
    vt_rollout_options_init (&options);
    options.start_layer = 1;
    options.discard_ratio = 0.5;
    g_assert_true (vt_attention_rollout (r.probs, r.depth, r.heads, r.tokens, &options, rollout, &error));
    g_assert_no_error (error);
    vt_attention_token_map (rollout, r.tokens, r.prefix, r.prefix + 6, expected);
    assert_shows (page, &r, expected, "rollout from layer 1, discard 0.5, patch 6");
    gtk_spin_button_set_value (start, 0);
    gtk_spin_button_set_value (discard, 0);
    gtk_widget_activate_action (GTK_WIDGET (page), "attention.class-token", NULL);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "opacity, and the map beside the image");
  {
    GtkDropDown *display = GTK_DROP_DOWN (labelled (GTK_WIDGET (page), "Displa_y"));
    GtkRange *opacity = GTK_RANGE (labelled (GTK_WIDGET (page), "_Opacity"));

    gtk_range_set_value (opacity, 0.25);
    g_assert_cmpfloat (vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view))->opacity, ==, 0.25);
    gtk_drop_down_set_selected (display, 1);
    /* Side by side: the map alone (opaque), the image beside it. */
    g_assert_cmpfloat (vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view))->opacity, ==, 1.0);
    g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (opacity)));
    {
      GtkWidget *picture = gtk_widget_get_prev_sibling (view);

      g_assert_true (GTK_IS_PICTURE (picture));
      g_assert_true (gtk_widget_get_visible (picture));
      g_assert_nonnull (gtk_picture_get_paintable (GTK_PICTURE (picture)));
    }
    vt_gui_spin (300);
    save_screenshot (GTK_WIDGET (window), "attention-side-by-side.png");
    gtk_drop_down_set_selected (display, 0);
    gtk_range_set_value (opacity, 0.6);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the rollout, correct and vit-explain compatible");
  vitrine_attention_page_set_show (page, VITRINE_ATTENTION_ROLLOUT);
  vt_rollout_options_init (&options);
  g_assert_true (vt_attention_rollout (r.probs, r.depth, r.heads, r.tokens, &options, rollout, &error));
  g_assert_no_error (error);
  vt_attention_class_map (rollout, r.tokens, r.prefix, correct);
  assert_shows (page, &r, correct, "rollout");
  {
    GtkSwitch *compat = GTK_SWITCH (labelled (GTK_WIDGET (page), "_vit-explain compatible"));

    g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (compat)));
    gtk_switch_set_active (compat, TRUE);
  }
  options.compat = TRUE;
  g_assert_true (vt_attention_rollout (r.probs, r.depth, r.heads, r.tokens, &options, rollout, &error));
  vt_attention_class_map (rollout, r.tokens, r.prefix, expected);
  assert_shows (page, &r, expected, "vit-explain compatible rollout");
  for (int p = 0; p < r.gh * r.gw; p++)
    differ += expected[p] != correct[p];
  g_test_message ("the compatible rollout differs from the correct one in %d of %d patches", differ, r.gh * r.gw);
  g_assert_cmpint (differ, >, 0);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the mass mask of the compatible rollout, at its default 60%%");
  {
    g_autofree float *mask = g_new (float, r.gh * r.gw);
    int kept = 0;

    gtk_switch_set_active (GTK_SWITCH (labelled (GTK_WIDGET (page), "_Mass mask")), TRUE);
    vt_attention_mass_mask (expected, r.gh * r.gw, 0.6, mask);
    assert_shows (page, &r, mask, "mass mask");
    for (int p = 0; p < r.gh * r.gw; p++)
      kept += mask[p] == 1.0f;
    g_test_message ("the mask keeps %d of %d patches", kept, r.gh * r.gw);
    g_assert_cmpint (kept, >, 0);
    g_assert_cmpint (kept, <, r.gh * r.gw);
    gtk_switch_set_active (GTK_SWITCH (labelled (GTK_WIDGET (page), "_Mass mask")), FALSE);
    assert_shows (page, &r, expected, "the mask off again");
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the colour map: jet in the view, its export and the grid's");
  {
    GtkDropDown *colormap = GTK_DROP_DOWN (labelled (GTK_WIDGET (page), "Colo_ur map"));
    VtFigure *figure;
    g_autoptr(VtFigure) grid_figure = NULL;

    gtk_drop_down_set_selected (colormap, VT_FIGURE_COLORMAP_JET);
    figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (view));
    g_assert_cmpint (figure->colormap, ==, VT_FIGURE_COLORMAP_JET);
    assert_shows (page, &r, expected, "vit-explain compatible rollout in jet");
    grid_figure = vitrine_attention_grid_to_figure (grid, "grid");
    g_assert_cmpint (grid_figure->colormap, ==, VT_FIGURE_COLORMAP_JET);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "screenshot of the rollout");
  vt_gui_spin (300);
  save_screenshot (GTK_WIDGET (window), "attention-rollout.png");
  vt_gui_step_end ();

  close_window (window);
  reference_clear (&r);
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

/* What the colour maps draw: an overlay at opacity 1 is the map's colours
 * alone, 0 darkest and the maximum brightest (viridis, inferno, grey), or
 * jet's dark blue to dark red, as OpenCV's COLORMAP_JET. */
static void
test_colormaps (void)
{
  static const struct { VtFigureColormap colormap; double low[3], high[3]; } cases[] = {
    { VT_FIGURE_COLORMAP_VIRIDIS, { 0.267, 0.005, 0.329 }, { 0.993, 0.906, 0.144 } },
    { VT_FIGURE_COLORMAP_INFERNO, { 0.001, 0.000, 0.014 }, { 0.988, 1.000, 0.645 } },
    { VT_FIGURE_COLORMAP_GREY, { 0, 0, 0 }, { 1, 1, 1 } },
    { VT_FIGURE_COLORMAP_JET, { 0, 0, 0.5 }, { 0.5, 0, 0 } },
  };
  static const float image[3 * 2] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };   /* (3, 1, 2) grey */
  static const double map[2] = { 0.0, 2.0 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(VtFigure) figure = vt_figure_new_overlay (NULL, 1, 2, image, map, 1.0);
      cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 400, 300);
      cairo_t *cr = cairo_create (surface);
      VtFigureStyle style;
      double x0, y0, w, h;

      figure->colormap = cases[i].colormap;
      vt_figure_style_init_print (&style);
      vt_figure_draw (cr, figure, 400, 300, &style);
      cairo_destroy (cr);
      cairo_surface_flush (surface);
      g_assert_true (vt_figure_overlay_geometry (figure, 400, 300, &x0, &y0, &w, &h));
      for (int side = 0; side < 2; side++)
        {
          int x = (int) (x0 + (side + 0.5) * w / 2), y = (int) (y0 + h / 2);
          guint32 pixel = *(guint32 *) (cairo_image_surface_get_data (surface) +
                                        (gsize) y * cairo_image_surface_get_stride (surface) + 4 * x);
          const double *want = side ? cases[i].high : cases[i].low;

          g_assert_cmpfloat_with_epsilon (((pixel >> 16) & 0xff) / 255.0, want[0], 1.0 / 255 + 1e-9);
          g_assert_cmpfloat_with_epsilon (((pixel >> 8) & 0xff) / 255.0, want[1], 1.0 / 255 + 1e-9);
          g_assert_cmpfloat_with_epsilon ((pixel & 0xff) / 255.0, want[2], 1.0 / 255 + 1e-9);
        }
      cairo_surface_destroy (surface);
    }
}

static void
test_export (void)
{
  g_autofree char *checkpoint = vt_test_asset ("reference/timm/deit_distilled.safetensors");
  g_autofree char *image = vt_test_asset ("datasets/cifar10-jpg/test/ship/0001.jpg");
  g_autofree char *dir = vt_test_tmpdir ();
  g_autofree char *view_base = g_build_filename (dir, "view", NULL);
  g_autofree char *grid_base = g_build_filename (dir, "grid", NULL);
  g_autofree char *maps_path = g_build_filename (dir, "maps.safetensors", NULL);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttentionPage *page = open_image (window, image);
  g_autoptr(VtCheckpoint) maps = NULL;
  g_autoptr(GError) error = NULL;
  Reference r = { 0 };
  int gh, gw;
  const float *shown;

  reference_load (&r, checkpoint, image);
  g_assert_cmpint (r.prefix, ==, 2);   /* DeiT: class and distillation tokens */
  vitrine_attention_page_set_show (page, VITRINE_ATTENTION_HEAD);
  vitrine_attention_grid_select (vitrine_attention_page_get_grid (page), 1, 1);
  vitrine_attention_page_set_query (page, 5);
  g_assert_true (vt_gui_wait_painted (vitrine_attention_page_get_view (page), 10000));
  save_screenshot (GTK_WIDGET (window), "attention-grid.png");

  g_assert_true (vitrine_attention_page_export_view (page, view_base, &error));
  g_assert_no_error (error);
  g_assert_true (vitrine_attention_page_export_grid (page, grid_base, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      const char *base = i ? grid_base : view_base;
      g_autofree char *png = g_strconcat (base, ".png", NULL);
      g_autofree char *svg = g_strconcat (base, ".svg", NULL);
      g_autofree char *pdf = g_strconcat (base, ".pdf", NULL);

      g_assert_true (has_prefix_bytes (png, "\x89PNG", 4));
      g_assert_true (has_prefix_bytes (svg, "<?xml", 5));
      g_assert_true (has_prefix_bytes (pdf, "%PDF", 4));
    }

  g_assert_true (vitrine_attention_page_export_maps (page, maps_path, &error));
  g_assert_no_error (error);
  maps = vt_checkpoint_open (maps_path, &error);
  g_assert_no_error (error);
  for (int l = 0; l < r.depth; l++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%d.heads", l);
      const VtTensor *t = vt_checkpoint_lookup (maps, name);
      g_autofree float *expected = g_new (float, r.gh * r.gw);

      g_assert_nonnull (t);
      g_assert_cmpuint (t->ndim, ==, 4);
      g_assert_cmpint (t->shape[0], ==, 1);
      g_assert_cmpint (t->shape[1], ==, r.heads);
      g_assert_cmpint (t->shape[2], ==, r.gh);
      g_assert_cmpint (t->shape[3], ==, r.gw);
      for (int h = 0; h < r.heads; h++)
        {
          vt_attention_class_map (r.probs[l] + (gsize) h * r.tokens * r.tokens, r.tokens, r.prefix, expected);
          g_assert_true (memcmp ((const float *) t->data + (gsize) h * r.gh * r.gw, expected,
                                 sizeof (float) * r.gh * r.gw) == 0);
        }
    }
  {
    const VtTensor *t = vt_checkpoint_lookup (maps, "view");
    g_autofree float *expected = g_new (float, r.gh * r.gw);

    head_map (&r, 1, 1, r.prefix + 5, expected);
    shown = vitrine_attention_page_get_map (page, &gh, &gw);
    g_assert_nonnull (t);
    g_assert_cmpint (t->numel, ==, r.gh * r.gw);
    g_assert_true (memcmp (t->data, expected, sizeof (float) * r.gh * r.gw) == 0);
    g_assert_true (memcmp (t->data, shown, sizeof (float) * gh * gw) == 0);
    g_assert_nonnull (vt_checkpoint_lookup (maps, "view.image"));
    g_assert_nonnull (vt_checkpoint_lookup (maps, "input.pixel_values"));
  }
  close_window (window);
  reference_clear (&r);
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
  g_autofree char *checkpoint = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autofree char *folder = g_build_filename (g_getenv ("VITRINE_SOURCE_DIR"), "data", "demo", "cifar10-test-sample",
                                              NULL);
  g_autoptr(GFile) folder_file = g_file_new_for_path (folder);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttentionPage *page = vitrine_window_get_attention_page (window);
  VtDataset *dataset;
  g_autofree char *name = NULL;
  g_autofree float *expected = NULL;
  Reference r = { 0 };

  vitrine_window_open_dataset (window, folder_file);
  vt_gui_wait_until (dataset_idle, vitrine_window_get_dataset_page (window), 60, "the dataset to open");
  dataset = vitrine_dataset_page_get_dataset (vitrine_window_get_dataset_page (window));
  g_assert_nonnull (dataset);
  g_assert_cmpuint (dataset->n_samples, >, 7);
  vitrine_window_show_area (window, "attention");
  vitrine_attention_page_open_sample (page, 7);
  vt_gui_wait_until (page_idle, page, 60, "the forward pass of sample 7");
  g_assert_null (vitrine_attention_page_get_error (page));

  name = vt_dataset_sample_name (dataset, 7);
  reference_load (&r, checkpoint, name);
  expected = g_new (float, r.gh * r.gw);
  head_map (&r, 0, 0, 0, expected);
  assert_shows (page, &r, expected, "sample 7, layer 0, head 0");
  close_window (window);
  reference_clear (&r);
}

/* @action is disabled: activating it opens no window. */
static void
assert_no_dialog (VitrineAttentionPage *page,
                  const char           *action)
{
  guint before = g_list_model_get_n_items (gtk_window_get_toplevels ());

  gtk_widget_activate_action (GTK_WIDGET (page), action, NULL);
  vt_gui_spin (200);
  g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, before);
}

static void
test_not_an_image (void)
{
  g_autofree char *checkpoint = vt_test_asset ("reference/timm/vit_cls.safetensors");
  g_autoptr(GFile) file = g_file_new_for_path (checkpoint);
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttentionPage *page = vitrine_window_get_attention_page (window);
  const char *message;

  vitrine_window_show_area (window, "attention");
  /* Before any image there is nothing to export: no chooser opens. */
  assert_no_dialog (page, "attention.export-view");
  vitrine_attention_page_open (page, file);
  vt_gui_wait_until (page_idle, page, 60, "the failed forward pass");
  assert_no_dialog (page, "attention.export-maps");
  message = vitrine_attention_page_get_error (page);
  g_assert_nonnull (message);
  g_test_message ("%s", message);
  {
    g_autofree char *named = g_file_get_path (file);   /* as the window names it: canonical */
    g_autofree char *prefix = g_strconcat (named, ": ", NULL);

    g_assert_true (g_str_has_prefix (message, prefix));
  }
  g_assert_nonnull (strstr (message, "not a JPEG"));
  g_assert_null (vitrine_attention_page_get_map (page, &(int) { 0 }, &(int) { 0 }));
  close_window (window);
}

static gboolean
text_idle (gpointer text)
{
  return !vitrine_text_attention_is_busy (text);
}

/* The Text mode shows @expected (T × T) exactly, drawn as a heatmap with
 * the engine's token labels on both axes and nothing above the diagonal;
 * returns how many entries differ from @before (NULL: none compared). */
static int
assert_text_shows (VitrineTextAttention  *text,
                   const VtTextAttention *r,
                   const float           *expected,
                   const float           *before,
                   const char            *what)
{
  int t;
  const char * const *labels;
  const float *matrix = vitrine_text_attention_get_matrix (text, &t, &labels);
  VtFigure *figure = vitrine_figure_view_get_figure (VITRINE_FIGURE_VIEW (vitrine_text_attention_get_view (text)));
  double largest = 0;
  int differ = 0;

  g_assert_nonnull (matrix);
  g_assert_cmpint (t, ==, r->tokens);
  for (int i = 0; i < t; i++)
    g_assert_cmpstr (labels[i], ==, r->labels[i]);
  for (int p = 0; p < t * t; p++)
    {
      largest = MAX (largest, fabs (matrix[p] - expected[p]));
      differ += before != NULL && matrix[p] != before[p];
    }
  g_test_message ("%s: largest difference to the engine's matrix %g", what, largest);
  g_assert_cmpfloat (largest, ==, 0.0);
  g_assert_nonnull (figure);
  g_assert_cmpint (figure->kind, ==, VT_FIGURE_HEATMAP);
  g_assert_cmpuint (figure->rows, ==, (guint) t);
  g_assert_cmpuint (figure->cols, ==, (guint) t);
  for (int i = 0; i < t; i++)
    {
      g_assert_cmpstr (figure->row_labels[i], ==, r->labels[i]);
      g_assert_cmpstr (figure->col_labels[i], ==, r->labels[i]);
    }
  for (int q = 0; q < t; q++)
    for (int k = 0; k < t; k++)
      if (k > q)
        g_assert_true (isnan (figure->values[q * t + k]));
      else
        g_assert_cmpfloat (figure->values[q * t + k], ==, (double) expected[q * t + k]);
  return differ;
}

static void
test_text (void)
{
  g_autofree char *checkpoint = vt_test_asset ("reference/openclip/clip_vit.safetensors");
  g_autofree char *vocab = vt_test_asset ("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz");
  g_autofree char *vit = vt_test_asset ("reference/timm/vit_cls.safetensors");
  static const char prompt[] = "an axolotl in vitrines";
  VitrineWindow *window = open_window (checkpoint);
  VitrineAttentionPage *page = vitrine_window_get_attention_page (window);
  VitrineTextAttention *text = vitrine_attention_page_get_text (page);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) weights = vt_checkpoint_open (checkpoint, &error);
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_autoptr(VtTextAttention) r = NULL;
  g_autofree float *expected = NULL;
  g_autofree float *before = NULL;
  g_autoptr(VitrineRun) reopened = NULL;
  gsize plane;
  int t;

  g_assert_no_error (error);
  model = vt_model_new (weights, &error);
  g_assert_no_error (error);
  tokenizer = vt_tokenizer_new_from_bpe_file (vocab, &error);
  g_assert_no_error (error);
  r = vt_text_attention_compute (model, tokenizer, prompt, &error);
  g_assert_no_error (error);
  t = r->tokens;
  plane = (gsize) t * t;
  expected = g_new (float, plane);
  before = g_new (float, plane);

  vt_gui_step_begin (60, "the Text mode of a CLIP checkpoint, on “%s”", prompt);
  g_assert_true (vitrine_window_shows_area (window, "attention"));
  vitrine_window_show_area (window, "attention");
  vitrine_attention_page_set_mode (page, "text");
  vitrine_text_attention_run (text, prompt);
  vt_gui_wait_until (text_idle, text, 60, "the text tower with attention kept");
  g_assert_null (vitrine_text_attention_get_error (text));
  memcpy (expected, vt_text_attention_layer (r, 0), sizeof (float) * plane);
  assert_text_shows (text, r, expected, NULL, "layer 0, head 0");
  memcpy (before, expected, sizeof (float) * plane);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "layer 1, then its head 1");
  vitrine_text_attention_set_layer (text, 1);
  memcpy (expected, vt_text_attention_layer (r, 1), sizeof (float) * plane);
  g_assert_cmpint (assert_text_shows (text, r, expected, before, "layer 1, head 0"), >, 0);
  memcpy (before, expected, sizeof (float) * plane);
  vitrine_text_attention_set_head (text, 1);
  memcpy (expected, vt_text_attention_layer (r, 1) + plane, sizeof (float) * plane);
  g_assert_cmpint (assert_text_shows (text, r, expected, before, "layer 1, head 1"), >, 0);
  memcpy (before, expected, sizeof (float) * plane);
  vt_gui_step_end ();

  vt_gui_step_begin (30, "layer 1's heads fused by their mean, maximum and minimum");
  for (int f = VITRINE_TEXT_ATTENTION_MEAN; f <= VITRINE_TEXT_ATTENTION_MIN; f++)
    {
      g_autofree char *what = g_strdup_printf ("layer 1, fused by %s",
                                               vt_head_fusion_name ((VtHeadFusion) (f - VITRINE_TEXT_ATTENTION_MEAN)));

      vitrine_text_attention_set_show (text, f);
      vt_attention_fuse_heads (vt_text_attention_layer (r, 1), r->heads, t,
                               (VtHeadFusion) (f - VITRINE_TEXT_ATTENTION_MEAN), expected);
      g_assert_cmpint (assert_text_shows (text, r, expected, before, what), >, 0);
      memcpy (before, expected, sizeof (float) * plane);
    }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "the rollout of the heads' means from layer 0, then of their maxima from layer 1");
  {
    g_autofree char *fixture_path = vt_test_fixture ("attention/text.safetensors");
    g_autoptr(VtCheckpoint) fixture = vt_checkpoint_open (fixture_path, &error);
    static const struct { VitrineTextAttentionShow show; VtHeadFusion fusion; int start; const char *name; } rollouts[] = {
      { VITRINE_TEXT_ATTENTION_ROLLOUT_MEAN, VT_HEAD_FUSION_MEAN, 0, "axolotl.text.rollout.mean.start0" },
      { VITRINE_TEXT_ATTENTION_ROLLOUT_MAX, VT_HEAD_FUSION_MAX, 1, "axolotl.text.rollout.max.start1" },
    };

    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (rollouts); i++)
      {
        const VtTensor *want = vt_checkpoint_lookup (fixture, rollouts[i].name);
        g_autofree float *torch = vt_tensor_dup_float (want);
        double worst = 0;

        vitrine_text_attention_set_show (text, rollouts[i].show);
        vitrine_text_attention_set_start_layer (text, rollouts[i].start);
        g_assert_true (vt_text_attention_rollout (r, rollouts[i].fusion, rollouts[i].start, expected, &error));
        g_assert_no_error (error);
        g_assert_cmpint (assert_text_shows (text, r, expected, before, rollouts[i].name), >, 0);
        memcpy (before, expected, sizeof (float) * plane);
        /* The script's float64 rollout of the same prompt. */
        g_assert_cmpuint (want->numel, ==, plane);
        for (gsize p = 0; p < plane; p++)
          worst = MAX (worst, fabs ((double) expected[p] - torch[p]));
        g_test_message ("%s: within %.3g of PyTorch's", rollouts[i].name, worst);
        g_assert_cmpfloat (worst, <=, 1e-5);
      }
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "Export of the view and of the maps");
  {
    g_autofree char *dir = vt_test_tmpdir ();
    g_autofree char *base = g_build_filename (dir, "text-view", NULL);
    g_autofree char *maps_path = g_build_filename (dir, "text.safetensors", NULL);
    g_autoptr(VtCheckpoint) maps = NULL;
    const char * const *labels;
    const float *shown = vitrine_text_attention_get_matrix (text, &t, &labels);
    const VtTensor *view;
    static const char * const suffixes[][2] = { { ".png", "\x89PNG" }, { ".svg", "<?xml" }, { ".pdf", "%PDF" } };

    g_assert_true (vitrine_text_attention_export_view (text, base, &error));
    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
      {
        g_autofree char *file = g_strconcat (base, suffixes[i][0], NULL);
        g_assert_true (has_prefix_bytes (file, suffixes[i][1], strlen (suffixes[i][1])));
      }
    g_assert_true (vitrine_text_attention_export_maps (text, maps_path, &error));
    g_assert_no_error (error);
    maps = vt_checkpoint_open (maps_path, &error);
    g_assert_no_error (error);
    view = vt_checkpoint_lookup (maps, "view");
    g_assert_nonnull (view);
    g_assert_cmpuint (view->ndim, ==, 3);
    g_assert_cmpint (view->shape[1], ==, t);
    g_assert_cmpint (view->shape[2], ==, t);
    g_assert_true (memcmp (view->data, shown, sizeof (float) * plane) == 0);
    g_assert_true (memcmp (view->data, expected, sizeof (float) * plane) == 0);
    for (int l = 0; l < r->layers; l++)
      {
        g_autofree char *name = g_strdup_printf ("text.blocks.%d.heads", l);
        const VtTensor *heads = vt_checkpoint_lookup (maps, name);

        g_assert_nonnull (heads);
        g_assert_cmpint (heads->shape[1], ==, r->heads);
        g_assert_true (memcmp (heads->data, vt_text_attention_layer (r, l), sizeof (float) * r->heads * plane) == 0);
      }
    g_assert_cmpstr (g_hash_table_lookup (vt_checkpoint_get_metadata (maps), "text.prompt"), ==, prompt);
    g_clear_pointer (&maps, vt_checkpoint_unref);
    vt_test_rm_rf (dir);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (60, "the run in the Runs panel, reopened from its folder");
  {
    VitrineRun *run = vitrine_text_attention_get_run (text);
    GListModel *runs = vitrine_window_get_runs (window);
    gboolean listed = FALSE;

    g_assert_nonnull (run);
    g_assert_cmpstr (vitrine_run_get_area (run), ==, "attention");
    g_assert_cmpint (vitrine_run_get_state (run), ==, VITRINE_RUN_FINISHED);
    for (guint i = 0; i < g_list_model_get_n_items (runs); i++)
      {
        g_autoptr(VitrineRun) listed_run = g_list_model_get_item (runs, i);
        listed |= listed_run == run;
      }
    g_assert_true (listed);
    reopened = vitrine_run_new_from_results (vitrine_run_get_results_dir (run), &error);
    g_assert_no_error (error);
    g_assert_true (vitrine_window_show_run (window, reopened, &error));
    g_assert_no_error (error);
    g_assert_true (vitrine_text_attention_get_run (text) == reopened);
    /* The view as it was (the rollout of maxima from layer 1), then another. */
    assert_text_shows (text, r, expected, NULL, "the reopened run's rollout");
    vitrine_text_attention_set_show (text, VITRINE_TEXT_ATTENTION_HEAD);
    vitrine_text_attention_set_layer (text, 0);
    vitrine_text_attention_set_head (text, 1);
    memcpy (expected, vt_text_attention_layer (r, 0) + plane, sizeof (float) * plane);
    g_assert_cmpint (assert_text_shows (text, r, expected, before, "the reopened run's layer 0, head 1"), >, 0);
    vitrine_text_attention_set_show (text, VITRINE_TEXT_ATTENTION_ROLLOUT_MAX);
    vitrine_text_attention_set_start_layer (text, 1);
  }
  vt_gui_step_end ();

  vt_gui_step_begin (30, "screenshot of the Text mode");
  g_assert_true (vt_gui_wait_painted (vitrine_text_attention_get_view (text), 10000));
  save_screenshot (GTK_WIDGET (window), "attention-text.png");
  vt_gui_step_end ();

  vt_gui_step_begin (60, "a blank prompt, then a model without a text tower");
  vitrine_text_attention_run (text, "   ");
  vt_gui_wait_until (text_idle, text, 60, "the refused prompt");
  g_assert_nonnull (vitrine_text_attention_get_error (text));
  g_assert_null (vitrine_text_attention_get_matrix (text, &t, &(const char * const *) { NULL }));
  /* The same window opens a ViT: the Text mode's switcher hides, and the
   * image mode is shown again. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.open-file", "s", vit);
  vt_gui_wait_until (loaded, window, 60, "the ViT to load");
  g_assert_false (vitrine_text_attention_supports (NULL));
  {
    GtkWidget *stack = gtk_widget_get_parent (GTK_WIDGET (vitrine_attention_page_get_text (page)));

    while (stack != NULL && !GTK_IS_STACK (stack))
      stack = gtk_widget_get_parent (stack);
    g_assert_nonnull (stack);
    g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (stack)), ==, "image");
    g_assert_false (gtk_widget_get_visible (gtk_widget_get_prev_sibling (stack)));
    /* Open Results of the text run shows it in the Text mode all the same. */
    g_assert_true (vitrine_window_show_run (window, reopened, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (stack)), ==, "text");
    g_assert_true (gtk_widget_get_visible (gtk_widget_get_prev_sibling (stack)));
    g_assert_nonnull (vitrine_text_attention_get_matrix (text, &t, &(const char * const *) { NULL }));
    g_assert_cmpint (t, ==, r->tokens);
  }
  close_window (window);
  vt_gui_step_end ();
}

int
main (int   argc,
      char *argv[])
{
  static const VtGuiTest tests[] = {
    { "/gui/attention/shown-for-vits", test_shown_for_vits, 300 },
    { "/gui/attention/maps", test_maps, 180 },
    { "/gui/attention/export", test_export, 180 },
    { "/gui/attention/colormaps", test_colormaps, 60 },
    { "/gui/attention/dataset-sample", test_dataset_sample, 120 },
    { "/gui/attention/not-an-image", test_not_an_image, 120 },
    { "/gui/attention/text", test_text, 240 },
  };

  return vt_gui_test_main (&argc, &argv, tests, G_N_ELEMENTS (tests), &app);
}
