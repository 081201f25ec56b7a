/* vt-step-faithfulness.c: the "faithfulness" step kind: its keys, defaults
 * and JSON; and its executor, vt_run_faithfulness, which measures how
 * faithful attribution maps are over a dataset or a selection of it.
 *
 * The maps are computed batch by batch exactly as the attribute step
 * computes them (its "methods", "layer" and "target", vt-step-attribute.h),
 * kept with the images, and written to <id>-maps.safetensors; then each
 * metric (vt-faithfulness.h, vt-faithfulness-road.h,
 * vt-faithfulness-localization.h) runs once per method over every image,
 * batched inside the engine. Each number goes out with the engine's
 * definition string for it. */
#include "vt-step-faithfulness.h"
#include "vt-step-attribute.h"
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-dtype.h"
#include "io/vt-image.h"
#include "io/vt-safetensors.h"
#include "methods/attribution/vt-cam.h"
#include "methods/attribution/vt-faithfulness.h"
#include "methods/attribution/vt-faithfulness-localization.h"
#include "methods/attribution/vt-faithfulness-road.h"
#include "methods/attribution/vt-randomization.h"
#include "report/vt-csv.h"
#include "report/vt-report.h"

#include "config.h"

#include <math.h>
#include <string.h>

/* --- The metrics and their options ------------------------------------ */

typedef enum
{
  METRIC_DELETION,
  METRIC_INSERTION,
  METRIC_ROAD,                    /* vt_road_accuracy */
  METRIC_ROAD_CONFIDENCE_CHANGE,  /* vt_road_confidence_change */
  METRIC_RANDOMIZATION,           /* vt_randomization_run */
  METRIC_PIXEL_AP,                /* and the ones after it need masks */
  METRIC_COMET_AP,
  METRIC_POINTING_GAME,
  METRIC_IOU_CURVE,
  METRIC_MASK_MASS,
} MetricKind;

/* Order matches MetricKind. */
static const char * const metric_names[] = { "deletion", "insertion", "road", "road_confidence_change",
                                             "randomization", "pixel_ap",
                                             "comet_ap", "pointing_game", "iou_curve", "mask_mass", NULL };

#define ROAD_MORF (1u << VT_ROAD_MORF)
#define ROAD_LERF (1u << VT_ROAD_LERF)

typedef struct
{
  MetricKind               kind;
  int                      steps;          /* deletion, insertion */
  VtFaithfulnessSubstrate  substrate;
  double                  *percentages;    /* road: NULL for the engine's 10 … 90 */
  guint                    n_percentages;
  guint                    orders;         /* road: ROAD_MORF | ROAD_LERF */
  guint                    seed;           /* road: the noise's numpy seed; randomization: the weights' */
  VtRandomizationOrder     randomization;  /* randomization: cascading or independent */
  char                   **layers;         /* randomization: NULL for every layer */
  gboolean                 keep_maps;      /* randomization: write every step's maps */
  guint                    tolerance;      /* pointing_game, pixels */
} FaithfulnessMetric;

typedef struct
{
  VtStep              base;
  VtModelInput        input;        /* checkpoint; dataset, split, transform, batch */
  guint              *samples;      /* dataset indices; NULL: every sample */
  guint               n_samples;
  VtAttributeMethod  *methods;
  guint               n_methods;
  char               *layer;
  gint64             *targets;
  guint               n_targets;
  gboolean            target_all;
  FaithfulnessMetric *metrics;
  guint               n_metrics;
  char              **extra_maps;   /* maps files, or ids of earlier steps that wrote <id>-maps.safetensors
                                     * (a comet step's): their maps measured beside the methods' */
  VtFigureFormats     formats;
} VtFaithfulnessStep;

static gboolean
is_road (MetricKind kind)
{
  return kind == METRIC_ROAD || kind == METRIC_ROAD_CONFIDENCE_CHANGE;
}

static gboolean
needs_masks (MetricKind kind)
{
  return kind >= METRIC_PIXEL_AP;
}

/* The results a metric gives per method: ROAD's chosen orders (variant =
 * VtRoadOrder), the randomization check's ρ of the maps, of their absolute
 * values and their SSIM (variant = VtRandomizationMeasure), one for the
 * others. */
#define N_VARIANTS 3

static gboolean
has_variant (const FaithfulnessMetric *m,
             int                       variant)
{
  if (is_road (m->kind))
    return (m->orders & (1u << variant)) != 0;
  return variant == 0 || (m->kind == METRIC_RANDOMIZATION && variant < VT_RANDOMIZATION_N_MEASURES);
}

/* RISE's pairing: deletion to zeros, insertion from the blurred image. */
static void
metric_defaults (FaithfulnessMetric *m)
{
  VtFaithfulnessOptions options;

  vt_faithfulness_options_init (&options);
  m->steps = options.steps;
  m->substrate = m->kind == METRIC_INSERTION ? VT_FAITHFULNESS_SUBSTRATE_BLUR : VT_FAITHFULNESS_SUBSTRATE_ZEROS;
  m->orders = ROAD_MORF | ROAD_LERF;
  m->tolerance = VT_POINTING_GAME_TOLERANCE;
}

static gboolean
invalid (GError     **error,
         const char  *path,
         const char  *message)
{
  g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: %s", path, message);
  return FALSE;
}

/* "percentages": a non-empty list of numbers, each in [0, 100). */
static gboolean
parse_percentages (JsonObject          *entry,
                   const char          *path,
                   FaithfulnessMetric  *m,
                   GError             **error)
{
  JsonNode *node = json_object_get_member (entry, "percentages");
  g_autofree char *where = g_strdup_printf ("%s.percentages", path);
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    return invalid (error, where, "expected a list of percentages of the pixels removed, each from 0 to below 100");
  array = json_node_get_array (node);
  m->n_percentages = json_array_get_length (array);
  m->percentages = g_new (double, m->n_percentages);
  for (guint i = 0; i < m->n_percentages; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      GType type = JSON_NODE_HOLDS_VALUE (element) ? json_node_get_value_type (element) : G_TYPE_NONE;
      double p = type == G_TYPE_INT64 || type == G_TYPE_DOUBLE ? json_node_get_double (element) : NAN;

      if (!(p >= 0.0 && p < 100.0))
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s[%u]: expected a percentage from 0 to below "
                       "100 (at 100 nothing is left to impute from)", where, i);
          return FALSE;
        }
      m->percentages[i] = p;
    }
  return TRUE;
}

/* One entry of "metrics" (an object at @path, or NULL: a bare name) into
 * @m, whose kind is set. */
static gboolean
parse_metric_options (JsonObject          *entry,
                      const char          *path,
                      FaithfulnessMetric  *m,
                      GError             **error)
{
  static const char * const game_keys[] = { "name", "steps", "substrate", NULL };
  static const char * const road_keys[] = { "name", "percentages", "order", "seed", NULL };
  static const char * const pointing_keys[] = { "name", "tolerance", NULL };
  static const char * const randomization_keys[] = { "name", "order", "seed", "layers", "maps", NULL };
  static const char * const randomization_orders[] = { "cascading", "independent", NULL };
  static const char * const plain_keys[] = { "name", NULL };
  static const char * const substrates[] = { "zeros", "blur", NULL };
  static const char * const orders[] = { "morf", "lerf", "both", NULL };
  guint steps;
  int substrate, order = 2;

  metric_defaults (m);
  steps = (guint) m->steps;
  substrate = m->substrate;
  if (entry == NULL)
    return TRUE;
  switch (m->kind)
    {
    case METRIC_DELETION:
    case METRIC_INSERTION:
      if (!vt_json_check_keys (entry, path, game_keys, error) ||
          !vt_json_get_uint (entry, path, "steps", 1, 1u << 24, &steps, error) ||
          !vt_json_get_choice (entry, path, "substrate", substrates, &substrate, error))
        return FALSE;
      m->steps = (int) steps;
      m->substrate = substrate;
      return TRUE;
    case METRIC_ROAD:
    case METRIC_ROAD_CONFIDENCE_CHANGE:
      if (!vt_json_check_keys (entry, path, road_keys, error) ||
          !parse_percentages (entry, path, m, error) ||
          !vt_json_get_choice (entry, path, "order", orders, &order, error) ||
          !vt_json_get_uint (entry, path, "seed", 0, G_MAXUINT32, &m->seed, error))
        return FALSE;
      m->orders = order == 0 ? ROAD_MORF : order == 1 ? ROAD_LERF : ROAD_MORF | ROAD_LERF;
      return TRUE;
    case METRIC_RANDOMIZATION:
      order = m->randomization;
      if (!vt_json_check_keys (entry, path, randomization_keys, error) ||
          !vt_json_get_choice (entry, path, "order", randomization_orders, &order, error) ||
          !vt_json_get_uint (entry, path, "seed", 0, G_MAXUINT32, &m->seed, error) ||
          !vt_json_get_strv (entry, path, "layers", &m->layers, error) ||
          !vt_json_get_bool (entry, path, "maps", &m->keep_maps, error))
        return FALSE;
      m->randomization = order;
      if (m->layers && m->layers[0] == NULL)
        {
          g_autofree char *where = g_strdup_printf ("%s.layers", path);

          return invalid (error, where, "expected a list of the layers to randomize (“head”, block names such "
                          "as “layer3.2”, “stem”), or no key for every layer");
        }
      return TRUE;
    case METRIC_POINTING_GAME:
      return vt_json_check_keys (entry, path, pointing_keys, error) &&
             vt_json_get_uint (entry, path, "tolerance", 0, 4096, &m->tolerance, error);
    default:
      return vt_json_check_keys (entry, path, plain_keys, error);
    }
}

static char *
known_metrics (void)
{
  return g_strjoinv (", ", (char **) metric_names);
}

/* "metrics": a non-empty list, each a name or {"name": …, options}. */
static gboolean
parse_metrics (JsonObject          *object,
               const char          *path,
               VtFaithfulnessStep  *step,
               GError             **error)
{
  JsonNode *node = json_object_get_member (object, "metrics");
  g_autofree char *known = known_metrics ();
  JsonArray *array;
  guint n;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.metrics: expected a list of metrics (names, "
                   "or objects with a “name” and options); known: %s", path, known);
      return FALSE;
    }
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  step->metrics = g_new0 (FaithfulnessMetric, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autofree char *where = g_strdup_printf ("%s.metrics[%u]", path, i);
      JsonObject *entry = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      FaithfulnessMetric *m = &step->metrics[i];
      JsonNode *name_node = entry ? json_object_get_member (entry, "name") : element;
      const char *name = NULL;
      int kind = -1;

      if (name_node && JSON_NODE_HOLDS_VALUE (name_node) && json_node_get_value_type (name_node) == G_TYPE_STRING)
        name = json_node_get_string (name_node);
      if (name == NULL)
        return invalid (error, where, "expected a metric's name, or an object with its “name” and options");
      for (int k = 0; metric_names[k]; k++)
        if (g_str_equal (metric_names[k], name))
          kind = k;
      if (kind < 0)
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: unknown metric “%s”; known: %s", where,
                       name, known);
          return FALSE;
        }
      /* Each metric's results are one entry per method, named after it. */
      for (guint j = 0; j < i; j++)
        if ((int) step->metrics[j].kind == kind)
          {
            g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: “%s” is listed already (at metrics[%u])",
                         where, name, j);
            return FALSE;
          }
      m->kind = kind;
      step->n_metrics = i + 1;
      if (!parse_metric_options (entry, where, m, error))
        return FALSE;
    }
  return TRUE;
}

/* The options of @m that are not the defaults, into @entry. */
static void
metric_options_to_json (const FaithfulnessMetric *m,
                        JsonObject               *entry)
{
  FaithfulnessMetric d = { .kind = m->kind };

  metric_defaults (&d);
  if (m->kind == METRIC_DELETION || m->kind == METRIC_INSERTION)
    {
      if (m->steps != d.steps)
        json_object_set_int_member (entry, "steps", m->steps);
      if (m->substrate != d.substrate)
        json_object_set_string_member (entry, "substrate", vt_faithfulness_substrate_name (m->substrate));
    }
  if (is_road (m->kind))
    {
      if (m->percentages)
        {
          JsonArray *array = json_array_new ();

          for (guint i = 0; i < m->n_percentages; i++)
            vt_run_add_number (array, m->percentages[i]);
          json_object_set_array_member (entry, "percentages", array);
        }
      if (m->orders != d.orders)
        json_object_set_string_member (entry, "order", vt_road_order_name (m->orders == ROAD_MORF ? VT_ROAD_MORF
                                                                                                  : VT_ROAD_LERF));
      if (m->seed != d.seed)
        json_object_set_int_member (entry, "seed", m->seed);
    }
  if (m->kind == METRIC_RANDOMIZATION)
    {
      if (m->randomization != d.randomization)
        json_object_set_string_member (entry, "order", vt_randomization_order_name (m->randomization));
      if (m->seed != d.seed)
        json_object_set_int_member (entry, "seed", m->seed);
      if (m->layers)
        {
          JsonArray *array = json_array_new ();

          for (guint i = 0; m->layers[i]; i++)
            json_array_add_string_element (array, m->layers[i]);
          json_object_set_array_member (entry, "layers", array);
        }
      if (m->keep_maps)
        json_object_set_boolean_member (entry, "maps", TRUE);
    }
  if (m->kind == METRIC_POINTING_GAME && m->tolerance != d.tolerance)
    json_object_set_int_member (entry, "tolerance", m->tolerance);
}

/* --- The step's keys -------------------------------------------------- */

static void
faithfulness_init (VtStep *base)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) base;

  vt_model_input_init (&step->input);
  /* As the attribute step: each image keeps every activation and its
   * gradient. */
  step->input.batch = 16;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
faithfulness_clear (VtStep *base)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) base;

  vt_model_input_clear (&step->input);
  g_free (step->samples);
  g_free (step->methods);
  g_free (step->layer);
  g_free (step->targets);
  for (guint i = 0; i < step->n_metrics; i++)
    {
      g_free (step->metrics[i].percentages);
      g_strfreev (step->metrics[i].layers);
    }
  g_free (step->metrics);
  g_strfreev (step->extra_maps);
}

static VtStep *
faithfulness_parse (JsonObject  *object,
                    const char  *path,
                    GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "samples", "methods", "layer", "target",
                                       "metrics", "extra_maps", "formats", NULL };
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) vt_step_new (&vt_faithfulness_step_type, NULL);
  JsonNode *samples = json_object_get_member (object, "samples");
  guint format_flags = step->formats;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_attribute_parse_methods (object, path, &step->methods, &step->n_methods, error) ||
      !vt_json_get_string (object, path, "layer", FALSE, &step->layer, error) ||
      !vt_attribute_parse_target (object, path, &step->targets, &step->n_targets, &step->target_all, error) ||
      !parse_metrics (object, path, step, error) ||
      !vt_json_get_strv (object, path, "extra_maps", &step->extra_maps, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    goto fail;
  step->formats = format_flags;
  /* Every image is measured, so none may be skipped. */
  if (json_object_has_member (object, "skip_unreadable"))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.skip_unreadable: the faithfulness step measures "
                   "every image it is given: leave this out", path);
      goto fail;
    }
  if (samples != NULL)
    {
      if (!JSON_NODE_HOLDS_ARRAY (samples))
        {
          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.samples: expected a list of sample indices",
                       path);
          goto fail;
        }
      if (!vt_step_get_indices (json_node_get_array (samples), path, "samples", "sample index", &step->samples,
                                &step->n_samples, error))
        goto fail;
    }
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static void
faithfulness_to_json (const VtStep *base,
                      JsonObject   *object)
{
  const VtFaithfulnessStep *step = (const VtFaithfulnessStep *) base;
  JsonArray *metrics = json_array_new ();

  vt_model_input_to_json (&step->input, object);
  /* Refused here (see faithfulness_parse). */
  json_object_remove_member (object, "skip_unreadable");
  if (step->samples)
    {
      JsonArray *samples = json_array_new ();

      for (guint i = 0; i < step->n_samples; i++)
        json_array_add_int_element (samples, step->samples[i]);
      json_object_set_array_member (object, "samples", samples);
    }
  vt_attribute_methods_to_json (step->methods, step->n_methods, step->layer, step->targets, step->n_targets,
                                step->target_all, object);
  for (guint i = 0; i < step->n_metrics; i++)
    {
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "name", metric_names[step->metrics[i].kind]);
      metric_options_to_json (&step->metrics[i], entry);
      if (json_object_get_size (entry) > 1)
        json_array_add_object_element (metrics, entry);
      else
        {
          json_array_add_string_element (metrics, metric_names[step->metrics[i].kind]);
          json_object_unref (entry);
        }
    }
  json_object_set_array_member (object, "metrics", metrics);
  if (step->extra_maps)
    json_object_set_array_member (object, "extra_maps", vt_step_strv_to_json (step->extra_maps));
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
faithfulness_formats (const VtStep *step)
{
  return ((const VtFaithfulnessStep *) step)->formats;
}

/* --- The run ----------------------------------------------------------- */

/* Every sample's mask (N, H, W) as 0 or 1, at the images' size. */
static float *
read_masks (VtRunOpened  *o,
            const gint64 *samples,
            guint         n_images,
            int           height,
            int           width,
            GError      **error)
{
  gsize plane = (gsize) height * width;
  g_autofree float *masks = g_new (float, plane * n_images);

  for (guint i = 0; i < n_images; i++)
    {
      int w = 0, h = 0;
      g_autofree guint8 *mask = vt_dataset_read_mask (o->dataset, (guint) samples[i], &w, &h, error);

      if (mask == NULL)
        return NULL;
      if (w != width || h != height)
        {
          g_autofree char *file = vt_dataset_mask_path (o->dataset, (guint) samples[i]);

          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: the mask is %d×%d pixels, the transformed "
                       "image %d×%d: the localization metrics compare them pixel for pixel", file, w, h, width,
                       height);
          return NULL;
        }
      for (gsize k = 0; k < plane; k++)
        masks[i * plane + k] = mask[k] ? 1.0f : 0.0f;
    }
  return g_steal_pointer (&masks);
}

/* What one metric gives for one method and order: a curve or scores. */
typedef struct
{
  VtFaithfulnessCurve  *curve;
  VtFaithfulnessScores *scores;
} Measured;

/* Metric @m of the maps @maps (N, H, W) of the images @pixels. */
static gboolean
measure (const FaithfulnessMetric *m,
         VtRoadOrder               order,
         VtClassifier             *classifier,
         const float              *pixels,
         const float              *maps,
         const float              *masks,
         guint                     n_images,
         int                       height,
         int                       width,
         const gint64             *targets,
         const gint64             *labels,
         GCancellable             *cancellable,
         Measured                 *out,
         GError                  **error)
{
  int n = (int) n_images;

  switch (m->kind)
    {
    case METRIC_DELETION:
    case METRIC_INSERTION:
      {
        VtFaithfulnessOptions options;

        vt_faithfulness_options_init (&options);
        options.steps = m->steps;
        options.substrate = m->substrate;
        out->curve = vt_faithfulness_run (m->kind == METRIC_DELETION ? VT_FAITHFULNESS_DELETION
                                                                     : VT_FAITHFULNESS_INSERTION,
                                          classifier, pixels, maps, n, height, width, targets, &options,
                                          cancellable, error);
        break;
      }
    case METRIC_ROAD:
    case METRIC_ROAD_CONFIDENCE_CHANGE:
      {
        VtRoadOptions options;

        vt_road_options_init (&options);
        if (m->percentages)
          {
            options.percentages = m->percentages;
            options.n_percentages = (int) m->n_percentages;
          }
        options.seed = m->seed;
        out->curve = m->kind == METRIC_ROAD
          ? vt_road_accuracy (order, classifier, pixels, maps, n, height, width, labels, &options, cancellable,
                              error)
          : vt_road_confidence_change (order, classifier, pixels, maps, n, height, width, targets, &options,
                                       cancellable, error);
        break;
      }
    case METRIC_RANDOMIZATION:
      g_assert_not_reached ();  /* its maps are the run's, not one method's (randomize below) */
    case METRIC_PIXEL_AP:
      out->scores = vt_localization_pixel_ap (maps, masks, n, height, width, error);
      break;
    case METRIC_COMET_AP:
      out->scores = vt_localization_comet_ap (maps, masks, n, height, width, error);
      break;
    case METRIC_POINTING_GAME:
      out->scores = vt_localization_pointing_game (maps, masks, n, height, width, (int) m->tolerance, error);
      break;
    case METRIC_IOU_CURVE:
      out->curve = vt_localization_iou_curve (maps, masks, n, height, width, error);
      break;
    case METRIC_MASK_MASS:
      out->scores = vt_localization_mask_mass (maps, masks, n, height, width, error);
      break;
    }
  return out->curve != NULL || out->scores != NULL;
}

/* The name of a metric's results: "deletion", "road_morf",
 * "randomization_abs". */
static char *
metric_label (const FaithfulnessMetric *m,
              int                       order)
{
  static const char * const randomization_labels[] = { "randomization", "randomization_abs", "randomization_ssim" };

  if (m->kind == METRIC_RANDOMIZATION)
    return g_strdup (randomization_labels[order]);
  return is_road (m->kind) ? g_strdup_printf ("%s_%s", metric_names[m->kind], vt_road_order_name (order))
                           : g_strdup (metric_names[m->kind]);
}

/* A figure's title, short enough to fit: what the definition says first. */
static char *
metric_title (const FaithfulnessMetric *m,
              int                       order,
              guint                     n_images)
{
  const char *order_name = order == (int) VT_ROAD_MORF ? "most relevant first" : "least relevant first";

  switch (m->kind)
    {
    case METRIC_DELETION:
    case METRIC_INSERTION:
      return g_strdup_printf ("%s, substrate %s, %d steps: mean of %u images",
                              m->kind == METRIC_DELETION ? "Deletion" : "Insertion",
                              vt_faithfulness_substrate_name (m->substrate), m->steps, n_images);
    case METRIC_ROAD:
      return g_strdup_printf ("ROAD accuracy, %s: %u images", order_name, n_images);
    case METRIC_ROAD_CONFIDENCE_CHANGE:
      return g_strdup_printf ("ROAD confidence change, %s: mean of %u images", order_name, n_images);
    case METRIC_IOU_CURVE:
      return g_strdup_printf ("IoU of the top pixels with the mask: mean of %u images", n_images);
    case METRIC_RANDOMIZATION:
      return g_strdup_printf ("Model randomization, %s: %s, mean of %u images",
                              vt_randomization_order_name (m->randomization),
                              order == (int) VT_RANDOMIZATION_SSIM ? "SSIM of the maps"
                              : order == (int) VT_RANDOMIZATION_SPEARMAN_ABS ? "Spearman's ρ of the |maps|"
                              : "Spearman's ρ of the maps", n_images);
    default:
      return g_strdup (metric_names[m->kind]);
    }
}

static JsonArray *
number_array (const double *values,
              int           n)
{
  JsonArray *array = json_array_new ();

  for (int i = 0; i < n; i++)
    vt_run_add_number (array, values[i]);
  return array;
}

/* One method's entry of a metric in results.json, and its rows of the
 * tables. */
static JsonObject *
measured_to_json (const Measured *r,
                  const char     *method,
                  const char     *label,
                  GString        *metrics_csv,
                  GString        *curves_csv)
{
  JsonObject *entry = json_object_new ();
  g_autofree char *value = vt_run_csv_number (r->curve ? r->curve->mean_summary : r->scores->mean);
  const char *row[3] = { method, label, value };

  json_object_set_string_member (entry, "method", method);
  if (r->curve)
    {
      const VtFaithfulnessCurve *c = r->curve;

      vt_run_set_number (entry, "mean", c->mean_summary);
      json_object_set_int_member (entry, "images_counted", c->n_counted);
      json_object_set_array_member (entry, "values", number_array (c->summary, c->n_images));
      json_object_set_array_member (entry, "x", number_array (c->x, c->n_points));
      json_object_set_array_member (entry, "y", number_array (c->mean, c->n_points));
      for (int k = 0; k < c->n_points; k++)
        {
          g_autofree char *x = vt_run_csv_number (c->x[k]);
          g_autofree char *y = vt_run_csv_number (c->mean[k]);
          const char *point[4] = { method, label, x, y };

          vt_csv_append_row (curves_csv, 4, point);
        }
    }
  else
    {
      const VtFaithfulnessScores *s = r->scores;

      vt_run_set_number (entry, "mean", s->mean);
      json_object_set_int_member (entry, "images_counted", s->n_counted);
      if (s->values)
        json_object_set_array_member (entry, "values", number_array (s->values, s->n_images));
    }
  vt_csv_append_row (metrics_csv, 3, row);
  return entry;
}

/* A method's curve of a metric, as soon as it is measured, so that a
 * window draws it while the next one runs: a metric event of series
 * "<label>/<method>" ("deletion/gradcam"), x the map's index among the
 * step's, y the mean of the per-image summaries, and values the mean
 * curve's x then its y (2 · points), as results.json states them. */
static void
emit_curve (VtRunContext              *run,
            const char                *label,
            const char                *method,
            guint                      index,
            const VtFaithfulnessCurve *curve)
{
  g_autofree char *series = g_strdup_printf ("%s/%s", label, method);
  g_autofree double *points = g_new (double, 2 * (gsize) curve->n_points);
  VtEvent event = { .kind = VT_EVENT_METRIC, .series = series, .x_name = "method", .x = index,
                    .y = curve->mean_summary, .values = points, .n_values = 2 * (guint) curve->n_points };

  memcpy (points, curve->x, sizeof (double) * curve->n_points);
  memcpy (points + curve->n_points, curve->mean, sizeof (double) * curve->n_points);
  vt_run_dispatch (run, &event);
}

/* What the randomization check's maps need: the run's batches, the
 * classes explained on the trained model, and its progress. */
typedef struct
{
  VtRunContext             *run;
  const VtFaithfulnessStep *step;
  const VtAttributionInput *input;     /* the trained model's first batch: model, layer, pixels, sizes */
  const gint64             *targets;   /* (N): the classes explained on the trained model */
  guint                     n_images;
  guint                     batch_size;
  gsize                     plane;
  int                       n_steps;
  int                       done_steps;
  double                    fraction;  /* the progress bar before the check */
  double                    span;      /* and the part of it the check takes */
} RandomizationMaps;

/* VtRandomizationMaps: every method's maps of every image, batch by batch,
 * as the maps of the trained model were made. */
static gboolean
randomization_maps (VtTrainable   *model,
                    float * const *maps,
                    gpointer       user_data,
                    GCancellable  *cancellable,
                    GError       **error)
{
  RandomizationMaps *r = user_data;
  const VtFaithfulnessStep *step = r->step;
  g_autofree double *seconds = g_new0 (double, step->n_methods);
  g_autofree float **batch_maps = g_new (float *, step->n_methods);
  g_autofree gint64 *explained = g_new (gint64, r->batch_size);
  g_autofree gint64 *predicted = g_new (gint64, r->batch_size);
  g_autofree char *message = NULL;

  for (guint first = 0; first < r->n_images; first += r->batch_size)
    {
      VtAttributionInput b = *r->input;

      b.model = model;
      b.pixels = r->input->pixels + first * 3 * r->plane;
      b.batch = (int) MIN (r->batch_size, r->n_images - first);
      b.targets = r->targets + first;
      for (guint m = 0; m < step->n_methods; m++)
        batch_maps[m] = maps[m] + first * r->plane;
      if (!vt_attribute_compute_batch (&b, step->methods, step->n_methods, batch_maps, NULL, seconds, explained,
                                       predicted, cancellable, error))
        return FALSE;
    }
  r->done_steps++;
  message = g_strdup_printf ("randomization: %d of %d layers", r->done_steps, r->n_steps);
  vt_run_emit (r->run, VT_EVENT_PROGRESS, r->fraction + r->span * r->done_steps / r->n_steps, message);
  return TRUE;
}

/* <id>-randomization-maps.safetensors: "<method>.<s>" (N, H, W), method's
 * maps after step s (1 …; the trained model's are <id>-maps.safetensors). */
static gboolean
write_randomized_maps (VtRunContext                *run,
                       const VtFaithfulnessStep    *step,
                       const FaithfulnessMetric    *metric,
                       const VtRandomizationResult *result,
                       guint                        n_images,
                       int                          height,
                       int                          width,
                       double                       fraction,
                       GError                     **error)
{
  g_autofree char *name = g_strdup_printf ("%s-randomization-maps.safetensors", step->base.id);
  g_autofree char *path = g_build_filename (run->output_dir, name, NULL);
  guint n = (guint) result->n_steps * step->n_methods;
  g_autofree VtTensor *tensors = g_new (VtTensor, n);
  g_autofree const VtTensor **pointers = g_new (const VtTensor *, n);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  gint64 shape[3] = { n_images, height, width };

  for (int s = 0; s < result->n_steps; s++)
    for (guint m = 0; m < step->n_methods; m++)
      {
        guint i = (guint) s * step->n_methods + m;
        char *tensor = g_strdup_printf ("%s.%d", vt_attribute_method_name (&step->methods[m]), s + 1);

        g_ptr_array_add (names, tensor);
        tensors[i] = vt_step_tensor_view (tensor, VT_DTYPE_F32, 3, shape, result->maps[i]);
        pointers[i] = &tensors[i];
      }
  g_hash_table_insert (metadata, "producer", g_strdup ("vitrine " PACKAGE_VERSION));
  g_hash_table_insert (metadata, "order", g_strdup (vt_randomization_order_name (result->order)));
  g_hash_table_insert (metadata, "seed", g_strdup_printf ("%u", metric->seed));
  g_hash_table_insert (metadata, "layers", g_strjoinv (",", result->layers));
  if (!vt_safetensors_write (path, n, pointers, metadata, error))
    return FALSE;
  vt_run_emit (run, VT_EVENT_FILE, fraction, name);
  return TRUE;
}

/* The randomization check of metric @k over the run's maps, and its rows
 * of the per-image table. */
static VtRandomizationResult *
randomize (VtRunContext             *run,
           const VtFaithfulnessStep *step,
           const FaithfulnessMetric *metric,
           guint                     k,
           VtTrainable              *model,
           const VtAttributionInput *input,
           GPtrArray                *maps,
           const gint64             *targets,
           const gint64             *samples,
           guint                     n_images,
           guint                     batch_size,
           double                    fraction,
           double                    span,
           GString                  *csv,
           GError                  **error)
{
  g_auto(GStrv) all = vt_randomization_layers (model);
  RandomizationMaps data = { run, step, input, targets, n_images, batch_size, (gsize) input->height * input->width,
                             metric->layers ? (int) g_strv_length (metric->layers) : (int) g_strv_length (all),
                             0, fraction, span };
  VtRandomizationOptions options;
  VtRandomizationResult *result;

  vt_randomization_options_init (&options);
  options.order = metric->randomization;
  options.seed = metric->seed;
  options.layers = (const char * const *) metric->layers;
  options.keep_maps = metric->keep_maps;
  result = vt_randomization_run (model, &options, (const float * const *) maps->pdata, (int) step->n_methods,
                                 (int) n_images, input->height, input->width, randomization_maps, &data,
                                 run->cancellable, error);
  if (result == NULL)
    {
      if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (error, "%s.metrics[%u]%s", run->step_path, k,
                        g_str_has_prefix ((*error)->message, "layers") ? "." : ": ");
      return NULL;
    }
  for (guint m = 0; m < step->n_methods; m++)
    for (int s = 0; s < result->n_steps; s++)
      for (guint b = 0; b < n_images; b++)
        {
          gsize at = ((gsize) m * result->n_steps + s) * n_images + b;
          g_autofree char *number = g_strdup_printf ("%d", s + 1);
          g_autofree char *sample = g_strdup_printf ("%" G_GINT64_FORMAT, samples[b]);
          g_autofree char *rho = vt_run_csv_number (result->measures[VT_RANDOMIZATION_SPEARMAN][at]);
          g_autofree char *rho_abs = vt_run_csv_number (result->measures[VT_RANDOMIZATION_SPEARMAN_ABS][at]);
          g_autofree char *ssim = vt_run_csv_number (result->measures[VT_RANDOMIZATION_SSIM][at]);
          const char *row[7] = { vt_attribute_method_name (&step->methods[m]), number, result->layers[s], sample, rho,
                                 rho_abs, ssim };

          vt_csv_append_row (csv, 7, row);
        }
  if (result->maps && !write_randomized_maps (run, step, metric, result, n_images, input->height, input->width,
                                              fraction + span, error))
    {
      vt_randomization_result_free (result);
      return NULL;
    }
  return result;
}

/* The randomization check's numbers of method @method per step: "steps",
 * one object per step with its layer, the value per image and their mean. */
static void
add_randomization_steps (JsonObject                  *entry,
                         const VtRandomizationResult *result,
                         int                          method,
                         VtRandomizationMeasure       measure)
{
  g_autoptr(VtFaithfulnessCurve) curve = vt_randomization_curve (result, method, measure, NULL);
  JsonArray *steps = json_array_new ();

  for (int s = 0; s < result->n_steps; s++)
    {
      JsonObject *one = json_object_new ();
      JsonArray *values = json_array_new ();

      json_object_set_string_member (one, "layer", result->layers[s]);
      vt_run_set_number (one, "mean", curve->mean[s]);
      for (int b = 0; b < result->n_images; b++)
        vt_run_add_number (values, curve->values[(gsize) b * result->n_steps + s]);
      json_object_set_array_member (one, "values", values);
      json_array_add_object_element (steps, one);
    }
  json_object_set_array_member (entry, "steps", steps);
}

/* Where "extra_maps" entry @name is: the maps file of an earlier step of
 * this run with that id, else a path against the spec's folder. */
static char *
extra_maps_path (VtRunContext *run,
                 const char   *name)
{
  for (guint i = 0; i < run->spec->steps->len; i++)
    {
      const VtStep *other = g_ptr_array_index (run->spec->steps, i);

      if (other->id && g_str_equal (other->id, name) && g_strcmp0 (other->id, run->step_id) != 0)
        {
          g_autofree char *file = g_strdup_printf ("%s-maps.safetensors", name);

          return g_build_filename (run->output_dir, file, NULL);
        }
    }
  return vt_spec_resolve_path (run->spec, name);
}

/* The maps of the "extra_maps" files: every F32 (N, H, W) tensor with a
 * "<name>.definition" in the file's metadata, taken for the step's
 * @samples (by the file's "samples"), appended to @maps with its name,
 * definition and file. A file made on another dataset or split (its
 * "dataset" and "split" metadata, where it has them), a map of another
 * size, a sample it lacks and a name the step's methods have are errors. */
static gboolean
load_extra_maps (VtRunContext        *run,
                 VtFaithfulnessStep  *step,
                 const VtRunOpened   *o,
                 const gint64        *samples,
                 guint                n_images,
                 int                  height,
                 int                  width,
                 GPtrArray           *maps,
                 GPtrArray           *names,
                 GPtrArray           *definitions,
                 GPtrArray           *sources,
                 GError             **error)
{
  gsize plane = (gsize) height * width;

  for (guint e = 0; step->extra_maps && step->extra_maps[e]; e++)
    {
      g_autofree char *path = extra_maps_path (run, step->extra_maps[e]);
      g_autofree char *where = g_strdup_printf ("%s.extra_maps[%u]", run->step_path, e);
      g_autoptr(VtCheckpoint) file = vt_checkpoint_open (path, error);
      const VtTensor *file_samples;
      GHashTable *metadata;
      const char *dataset, *split;
      guint found = 0;

      if (file == NULL)
        {
          g_prefix_error (error, "%s: ", where);
          return FALSE;
        }
      metadata = vt_checkpoint_get_metadata (file);
      dataset = metadata ? g_hash_table_lookup (metadata, "dataset") : NULL;
      split = metadata ? g_hash_table_lookup (metadata, "split") : NULL;
      if ((dataset && g_strcmp0 (dataset, o->dataset_path) != 0) ||
          (split && g_strcmp0 (split, o->dataset->split) != 0))
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: %s holds maps of %s%s%s, this step measures "
                       "%s%s%s", where, path, dataset ? dataset : "its dataset", split ? ", split " : "",
                       split ? split : "", o->dataset_path, o->dataset->split ? ", split " : "",
                       o->dataset->split ? o->dataset->split : "");
          return FALSE;
        }
      file_samples = vt_checkpoint_lookup (file, "samples");
      if (file_samples == NULL || file_samples->ndim != 1 || file_samples->dtype != VT_DTYPE_I64)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: %s has no I64 \"samples\": not a maps file "
                       "(an attribute, faithfulness or comet step writes one)", where, path);
          return FALSE;
        }
      for (guint t = 0; t < vt_checkpoint_get_n_tensors (file); t++)
        {
          const VtTensor *map = vt_checkpoint_get_tensor (file, t);
          g_autofree char *definition_key = g_strdup_printf ("%s.definition", map->name);
          const char *definition = metadata ? g_hash_table_lookup (metadata, definition_key) : NULL;
          float *taken;

          if (definition == NULL || map->dtype != VT_DTYPE_F32 || map->ndim != 3)
            continue;
          if (map->shape[0] != file_samples->shape[0] || map->shape[1] != height || map->shape[2] != width)
            {
              g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                           "%s: %s's map %s is %" G_GINT64_FORMAT " × %" G_GINT64_FORMAT " for %" G_GINT64_FORMAT
                           " images; this step's images are %d × %d", where, path, map->name, map->shape[1],
                           map->shape[2], file_samples->shape[0], height, width);
              return FALSE;
            }
          for (guint m = 0; m < names->len; m++)
            if (g_str_equal (g_ptr_array_index (names, m), map->name))
              {
                g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: %s's map %s has the name of a map "
                             "this step measures already", where, path, map->name);
                return FALSE;
              }
          taken = g_new (float, plane * n_images);
          for (guint i = 0; i < n_images; i++)
            {
              const gint64 *in_file = (const gint64 *) file_samples->data;
              gint64 j = 0;

              while (j < file_samples->shape[0] && in_file[j] != samples[i])
                j++;
              if (j == file_samples->shape[0])
                {
                  g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: %s has no map of sample %" G_GINT64_FORMAT
                               " (it holds %" G_GINT64_FORMAT " samples)", where, path, samples[i],
                               file_samples->shape[0]);
                  g_free (taken);
                  return FALSE;
                }
              memcpy (taken + i * plane, map->data + (gsize) j * plane * sizeof (float), sizeof (float) * plane);
            }
          g_ptr_array_add (maps, taken);
          g_ptr_array_add (names, g_strdup (map->name));
          g_ptr_array_add (definitions, g_strdup (definition));
          g_ptr_array_add (sources, g_strdup (path));
          found++;
        }
      if (found == 0)
        {
          g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: %s holds no maps (F32 (N, H, W) tensors with "
                       "a definition in its metadata)", where, path);
          return FALSE;
        }
    }
  return TRUE;
}

JsonNode *
vt_run_faithfulness (VtRunContext  *run,
                     VtStep        *base,
                     GError       **error)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) base;
  g_auto(VtRunOpened) o = { 0 };
  g_autoptr(VtTrainable) model = NULL;
  g_autoptr(VtClassifier) classifier = NULL;
  g_autoptr(GPtrArray) layers = NULL;
  g_autoptr(GPtrArray) maps = g_ptr_array_new_with_free_func (g_free);   /* (N, H, W) per method */
  g_autoptr(GPtrArray) definitions = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);     /* per map: its method's name */
  g_autoptr(GPtrArray) sources = g_ptr_array_new_with_free_func (g_free);   /* per extra map: its file */
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *default_layer = NULL;
  g_autofree char *maps_name = g_strdup_printf ("%s-maps.safetensors", base->id);
  g_autofree char *maps_path = g_build_filename (run->output_dir, maps_name, NULL);
  g_autofree char *metrics_name = g_strdup_printf ("%s-metrics.csv", base->id);
  g_autofree char *curves_name = g_strdup_printf ("%s-curves.csv", base->id);
  g_autofree char *randomization_name = g_strdup_printf ("%s-randomization.csv", base->id);
  g_autoptr(GString) randomization_csv = g_string_new ("method,step,layer,sample,spearman,spearman_abs,ssim\n");
  g_autoptr(VtRandomizationResult) randomized = NULL;
  VtAttributionInput maps_input = { 0 };
  g_autofree float *pixels = NULL;
  g_autofree float *masks = NULL;
  g_autofree gint64 *samples = NULL;
  g_autofree gint64 *targets = NULL;
  g_autofree gint64 *predicted = NULL;
  g_autofree gint64 *labels = NULL;
  g_autofree gint64 *batch_targets = NULL;
  g_autofree double *seconds = NULL;
  g_autofree float **batch_maps = NULL;
  g_autoptr(GString) metrics_csv = g_string_new ("method,metric,value\n");
  g_autoptr(GString) curves_csv = g_string_new ("method,metric,x,y\n");
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  JsonObject *result = json_object_new ();
  JsonArray *metric_list;
  const VtArchitecture *arch;
  const char *layer = NULL;
  gboolean uses_layer = FALSE, any_masks = FALSE;
  guint n_images, batch_size, score_batch = 0, n_runs = 0, done = 0;
  int height, width, classes;
  gsize plane, image_floats;

  json_node_take_object (node, result);
  if (!vt_run_open_model_input (run, &step->input, &o, error))
    return NULL;
  arch = vt_model_get_architecture (o.model);
  if (!(model = vt_trainable_new (o.checkpoint, arch, error)))
    {
      g_prefix_error (error, "%s: attribution maps need the model's backward pass: ", run->step_path);
      return NULL;
    }
  classes = arch->num_classes;
  if (classes <= 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: this %s has no classifier head; faithfulness "
                   "measures the maps of a class", o.checkpoint_path, arch->family_name);
      return NULL;
    }
  for (guint k = 0; k < step->n_metrics; k++)
    any_masks |= needs_masks (step->metrics[k].kind);
  if (any_masks && !vt_dataset_has_masks (o.dataset))
    {
      for (guint k = 0; k < step->n_metrics; k++)
        if (needs_masks (step->metrics[k].kind))
          {
            g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s.metrics[%u]: %s needs ground-truth masks, "
                         "and %s%s%s has none (a glyph_dataset step makes a dataset with masks/<split>/)",
                         run->step_path, k, metric_names[step->metrics[k].kind], o.dataset_path,
                         o.dataset->split ? ", split " : "", o.dataset->split ? o.dataset->split : "");
            return NULL;
          }
    }

  height = width = o.transform.crop_size;
  n_images = step->samples ? step->n_samples : o.dataset->n_samples;
  if (!vt_step_check_samples (step->samples, step->n_samples, o.dataset, o.dataset_path, run->step_path, error))
    return NULL;
  if (n_images == 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: no images to measure", o.dataset_path);
      return NULL;
    }
  if (!vt_trainable_check_input (model, height, width, error))
    {
      g_prefix_error (error, "%s: ", o.checkpoint_path);
      return NULL;
    }
  if (!vt_attribute_check_targets (step->targets, step->n_targets, step->target_all, run->step_path, n_images,
                                   classes, error))
    return NULL;
  for (guint m = 0; m < step->n_methods; m++)
    {
      uses_layer |= step->methods[m].family->uses_layer;
      if (g_str_equal (step->methods[m].family->name, "cam") && step->methods[m].method == VT_CAM_SCORECAM)
        score_batch = step->methods[m].options.score_batch;
    }
  batch_size = MIN (step->input.batch, n_images);
  if (!vt_step_memory_check_faithfulness (model, o.checkpoint_path, n_images, batch_size, score_batch, height,
                                          width, step->n_methods, any_masks, run->step_path, error))
    return NULL;

  plane = (gsize) height * width;
  image_floats = 3 * plane;
  pixels = g_new (float, image_floats * n_images);
  samples = g_new (gint64, n_images);
  targets = g_new (gint64, n_images);
  predicted = g_new (gint64, n_images);
  labels = g_new (gint64, n_images);
  batch_targets = g_new (gint64, batch_size);
  seconds = g_new0 (double, step->n_methods);
  batch_maps = g_new (float *, step->n_methods);
  for (guint m = 0; m < step->n_methods; m++)
    {
      g_ptr_array_add (maps, g_new (float, plane * n_images));
      g_ptr_array_add (definitions, step->methods[m].family->method_definition (step->methods[m].method,
                                                                                &step->methods[m].options));
      g_ptr_array_add (names, g_strdup (vt_attribute_method_name (&step->methods[m])));
    }
  for (guint i = 0; i < n_images; i++)
    {
      samples[i] = step->samples ? step->samples[i] : i;
      labels[i] = o.dataset->labels[samples[i]];
    }
  if (!load_extra_maps (run, step, &o, samples, n_images, height, width, maps, names, definitions, sources, error))
    return NULL;
  for (guint k = 0; k < step->n_metrics; k++)
    for (int variant = 0; variant < N_VARIANTS; variant++)
      /* The randomization check recomputes the methods' maps; those of a
       * file (extra_maps) it cannot. */
      n_runs += has_variant (&step->metrics[k], variant)
                ? (step->metrics[k].kind == METRIC_RANDOMIZATION ? step->n_methods : maps->len) : 0;

  /* The maps, batch by batch, as the attribute step makes them. */
  for (guint first = 0; first < n_images; first += batch_size)
    {
      guint count = MIN (batch_size, n_images - first);
      VtAttributionInput b = { model, NULL, arch->patch_size, pixels + first * image_floats, (int) count, height,
                               width, NULL, o.transform.mean, o.transform.std };
      g_autofree char *last_name = NULL;

      if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
        return NULL;
      for (guint i = first; i < first + count; i++)
        {
          g_autoptr(VtImage) image = NULL;
          g_autofree char *name = vt_dataset_sample_name (o.dataset, (guint) samples[i]);

          image = vt_dataset_load_image (o.dataset, (guint) samples[i], error);
          if (image == NULL || !vt_transform_check_image (&o.transform, image, name, error))
            return NULL;
          vt_transform_apply (&o.transform, image, pixels + i * image_floats);
          if (i + 1 == first + count)
            last_name = g_steal_pointer (&name);
        }
      if (uses_layer && layers == NULL &&
          !(layers = vt_attribute_resolve_layer (model, arch->patch_size, pixels, height, width, step->layer,
                                                 run->step_path, o.checkpoint_path, &default_layer, &layer, error)))
        return NULL;
      b.layer = layer;
      if (step->targets)
        {
          for (guint i = 0; i < count; i++)
            batch_targets[i] = step->target_all ? step->targets[0] : step->targets[first + i];
          b.targets = batch_targets;
        }
      for (guint m = 0; m < step->n_methods; m++)
        batch_maps[m] = (float *) g_ptr_array_index (maps, m) + first * plane;
      if (!vt_attribute_compute_batch (&b, step->methods, step->n_methods, batch_maps, NULL, seconds,
                                       targets + first, predicted + first, run->cancellable, error))
        {
          g_prefix_error (error, "%s: sample %" G_GINT64_FORMAT ": ", run->step_path, samples[first]);
          return NULL;
        }
      /* Half the progress bar for the maps, half for the metrics. */
      vt_run_emit (run, VT_EVENT_PROGRESS, 0.5 * (first + count) / n_images, last_name);
    }
  if (any_masks && !(masks = read_masks (&o, samples, n_images, height, width, error)))
    return NULL;
  /* The randomization check's batches are these. */
  maps_input = (VtAttributionInput) { model, layer, arch->patch_size, pixels, 0, height, width, NULL,
                                      o.transform.mean, o.transform.std };

  /* The maps file, as the attribute step writes it (the figures and a
   * rerun of a metric read it). */
  {
    guint n = maps->len + 5, k = 0;
    g_autofree VtTensor *tensors = g_new (VtTensor, n);
    g_autofree const VtTensor **pointers = g_new (const VtTensor *, n);
    gint64 map_shape[3] = { n_images, height, width };
    gint64 pixel_shape[4] = { n_images, 3, height, width };
    gint64 count_shape[1] = { n_images };

    for (guint m = 0; m < maps->len; m++)
      {
        const char *name = g_ptr_array_index (names, m);

        tensors[k++] = vt_step_tensor_view (name, VT_DTYPE_F32, 3, map_shape, g_ptr_array_index (maps, m));
        g_hash_table_insert (metadata, g_strdup_printf ("%s.definition", name), g_ptr_array_index (definitions, m));
      }
    tensors[k++] = vt_step_tensor_view ("input.pixel_values", VT_DTYPE_F32, 4, pixel_shape, pixels);
    tensors[k++] = vt_step_tensor_view ("samples", VT_DTYPE_I64, 1, count_shape, samples);
    tensors[k++] = vt_step_tensor_view ("targets", VT_DTYPE_I64, 1, count_shape, targets);
    tensors[k++] = vt_step_tensor_view ("predicted", VT_DTYPE_I64, 1, count_shape, predicted);
    tensors[k++] = vt_step_tensor_view ("labels", VT_DTYPE_I64, 1, count_shape, labels);
    for (guint i = 0; i < n; i++)
      pointers[i] = &tensors[i];
    g_hash_table_insert (metadata, g_strdup ("producer"), "vitrine " PACKAGE_VERSION);
    g_hash_table_insert (metadata, g_strdup ("checkpoint"), o.checkpoint_path);
    if (layer)
      g_hash_table_insert (metadata, g_strdup ("layer"), (gpointer) layer);
    if (!vt_safetensors_write (maps_path, n, pointers, metadata, error))
      return NULL;
  }
  vt_run_emit (run, VT_EVENT_FILE, 0.5, maps_name);

  /* Each metric, for each method (and ROAD's orders), over every image. */
  classifier = vt_classifier_new_for_model (o.model);
  metric_list = json_array_new ();
  json_object_set_array_member (result, "metrics", metric_list);
  for (guint k = 0; k < step->n_metrics; k++)
    {
      const FaithfulnessMetric *metric = &step->metrics[k];

      for (int order = 0; order < N_VARIANTS; order++)
        {
          g_autofree char *label = metric_label (metric, order);
          g_autofree char *where = g_strdup_printf ("%s.metrics[%u] (%s)", run->step_path, k, label);
          g_autofree char *title = metric_title (metric, order, n_images);
          JsonObject *entry;
          JsonArray *results;

          if (!has_variant (metric, order))
            continue;
          if (metric->kind == METRIC_RANDOMIZATION && randomized == NULL &&
              !(randomized = randomize (run, step, metric, k, model, &maps_input, maps, targets, samples, n_images,
                                        batch_size, 0.5 + 0.5 * done / n_runs, 0.5 * VT_RANDOMIZATION_N_MEASURES * step->n_methods / n_runs,
                                        randomization_csv, error)))
            return NULL;
          /* Its progress went out step by step. */
          if (metric->kind == METRIC_RANDOMIZATION && order == 0)
            done += VT_RANDOMIZATION_N_MEASURES * step->n_methods;
          entry = json_object_new ();
          results = json_array_new ();
          json_object_set_string_member (entry, "name", metric_names[metric->kind]);
          json_object_set_string_member (entry, "label", label);
          json_object_set_string_member (entry, "title", title);
          if (is_road (metric->kind))
            json_object_set_string_member (entry, "order", vt_road_order_name (order));
          if (metric->kind == METRIC_RANDOMIZATION)
            {
              JsonArray *layer_names = json_array_new ();

              json_object_set_string_member (entry, "order", vt_randomization_order_name (metric->randomization));
              json_object_set_int_member (entry, "seed", metric->seed);
              for (int s = 0; s < randomized->n_steps; s++)
                json_array_add_string_element (layer_names, randomized->layers[s]);
              json_object_set_array_member (entry, "layers", layer_names);
              json_object_set_string_member (entry, "table", randomization_name);
              if (metric->keep_maps)
                {
                  g_autofree char *file = g_strdup_printf ("%s-randomization-maps.safetensors", base->id);

                  json_object_set_string_member (entry, "maps", file);
                }
            }
          json_object_set_array_member (entry, "results", results);
          json_array_add_object_element (metric_list, entry);
          for (guint m = 0; m < maps->len; m++)
            {
              const char *method = g_ptr_array_index (names, m);
              Measured r = { NULL, NULL };
              gboolean ok;

              if (g_cancellable_set_error_if_cancelled (run->cancellable, error))
                return NULL;
              if (metric->kind == METRIC_RANDOMIZATION && m >= step->n_methods)
                continue;
              if (metric->kind == METRIC_RANDOMIZATION)
                {
                  r.curve = vt_randomization_curve (randomized, (int) m, order,
                                                    vt_randomization_definition (randomized, metric->seed, order));
                  ok = TRUE;
                }
              else
                ok = measure (metric, order, classifier, pixels, g_ptr_array_index (maps, m), masks, n_images,
                              height, width, targets, labels, run->cancellable, &r, error);
              if (!ok)
                {
                  g_prefix_error (error, "%s, method %s: ", where, method);
                  return NULL;
                }
              /* The definition is the metric's, the same for every method. */
              if (!json_object_has_member (entry, "definition"))
                json_object_set_string_member (entry, "definition",
                                               r.curve ? r.curve->definition
                                                       : r.scores ? r.scores->definition : NULL);
              json_array_add_object_element (results, measured_to_json (&r, method, label, metrics_csv, curves_csv));
              if (r.curve)
                emit_curve (run, label, method, m, r.curve);
              vt_faithfulness_curve_free (r.curve);
              vt_faithfulness_scores_free (r.scores);
              if (metric->kind == METRIC_RANDOMIZATION)
                add_randomization_steps (json_array_get_object_element (results, m), randomized, (int) m, order);
              else
                {
                  g_autofree char *message = g_strdup_printf ("%s of %s", label, method);

                  vt_run_emit (run, VT_EVENT_PROGRESS, 0.5 + 0.5 * ++done / n_runs, message);
                }
            }
        }
    }
  if (!vt_run_write_output (run, metrics_name, metrics_csv->str, error) ||
      !vt_run_write_output (run, curves_name, curves_csv->str, error) ||
      (randomized && !vt_run_write_output (run, randomization_name, randomization_csv->str, error)))
    return NULL;

  json_object_set_string_member (result, "checkpoint", o.checkpoint_path);
  json_object_set_string_member (result, "architecture", arch->family_name);
  json_object_set_string_member (result, "dataset", o.dataset_path);
  if (o.dataset->split)
    json_object_set_string_member (result, "split", o.dataset->split);
  {
    g_autofree char *transform = vt_transform_describe (&o.transform);

    json_object_set_string_member (result, "transform", transform);
  }
  json_object_set_int_member (result, "images", n_images);
  if (layer)
    json_object_set_string_member (result, "layer", layer);
  json_object_set_string_member (result, "maps", maps_name);
  json_object_set_string_member (result, "metrics_table", metrics_name);
  json_object_set_string_member (result, "curves_table", curves_name);
  {
    JsonArray *listing = json_array_new ();

    for (guint m = 0; m < step->n_methods; m++)
      {
        const VtAttributeMethod *method = &step->methods[m];
        JsonObject *entry = json_object_new ();

        json_object_set_string_member (entry, "name", vt_attribute_method_name (method));
        json_object_set_string_member (entry, "title", method->family->method_title (method->method));
        json_object_set_string_member (entry, "family", method->family->name);
        json_object_set_string_member (entry, "definition", g_ptr_array_index (definitions, m));
        vt_run_set_number (entry, "seconds_per_image", seconds[m] / n_images);
        json_array_add_object_element (listing, entry);
      }
    for (guint m = step->n_methods; m < maps->len; m++)
      {
        JsonObject *entry = json_object_new ();

        json_object_set_string_member (entry, "name", g_ptr_array_index (names, m));
        json_object_set_string_member (entry, "title", g_ptr_array_index (names, m));
        json_object_set_string_member (entry, "family", "file");
        json_object_set_string_member (entry, "definition", g_ptr_array_index (definitions, m));
        json_object_set_string_member (entry, "source", g_ptr_array_index (sources, m - step->n_methods));
        json_array_add_object_element (listing, entry);
      }
    json_object_set_array_member (result, "methods", listing);
  }
  json_object_set_array_member (result, "figures", json_array_new ());
  return g_steal_pointer (&node);
}

/* --- The constructor -------------------------------------------------- */

VtStep *
vt_faithfulness_step_new (const char         *id,
                          const char         *checkpoint,
                          const char         *dataset,
                          const char         *split,
                          const char * const *methods,
                          const char * const *metrics,
                          GError            **error)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) vt_step_new (&vt_faithfulness_step_type, id);
  guint n = metrics ? g_strv_length ((char **) metrics) : 0;

  step->input.checkpoint = g_strdup (checkpoint);
  step->input.dataset = g_strdup (dataset);
  step->input.split = g_strdup (split);
  if (!vt_attribute_methods_from_names (methods, &step->methods, &step->n_methods, error))
    goto fail;
  if (n == 0)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "metrics: choose at least one metric");
      goto fail;
    }
  step->metrics = g_new0 (FaithfulnessMetric, n);
  for (guint i = 0; i < n; i++)
    {
      int kind = -1;

      for (int k = 0; metric_names[k]; k++)
        if (g_str_equal (metric_names[k], metrics[i]))
          kind = k;
      if (kind < 0)
        {
          g_autofree char *known = known_metrics ();

          g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "metrics[%u]: unknown metric “%s”; known: %s", i,
                       metrics[i], known);
          goto fail;
        }
      step->metrics[i].kind = kind;
      step->n_metrics = i + 1;
      metric_defaults (&step->metrics[i]);
    }
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

void
vt_faithfulness_step_set_samples (VtStep      *base,
                                  const guint *samples,
                                  guint        n)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) base;

  g_return_if_fail (base->type == &vt_faithfulness_step_type);
  g_clear_pointer (&step->samples, g_free);
  step->samples = n ? g_memdup2 (samples, sizeof (guint) * n) : NULL;
  step->n_samples = n;
}

void
vt_faithfulness_step_set_layer (VtStep     *base,
                                const char *layer)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) base;

  g_return_if_fail (base->type == &vt_faithfulness_step_type);
  g_free (step->layer);
  step->layer = g_strdup (layer);
}

void
vt_faithfulness_step_set_steps (VtStep *base,
                                guint   steps)
{
  VtFaithfulnessStep *step = (VtFaithfulnessStep *) base;

  g_return_if_fail (base->type == &vt_faithfulness_step_type);
  for (guint i = 0; i < step->n_metrics; i++)
    if (step->metrics[i].kind == METRIC_DELETION || step->metrics[i].kind == METRIC_INSERTION)
      step->metrics[i].steps = (int) steps;
}

const VtStepType vt_faithfulness_step_type = {
  .name = "faithfulness",
  .size = sizeof (VtFaithfulnessStep),
  .init = faithfulness_init,
  .parse = faithfulness_parse,
  .clear = faithfulness_clear,
  .to_json = faithfulness_to_json,
  .execute = vt_run_faithfulness,
  .formats = faithfulness_formats,
  .figures = vt_report_faithfulness_figures,
};
