/* vt-step-comet.c: the "comet" step kind: its keys, defaults, JSON and
 * constructor; and its executor, vt_run_comet: COMET's selector and
 * predictor (engine/methods/comet/) trained against a frozen detector on a
 * dataset's training split, then after every epoch the test split's masks
 * and both networks written, so that a cancelled run keeps its last
 * finished epoch.
 *
 * Events: per step the series "l1", "l2", "hinge", "area",
 * "predictor_accuracy" (P on x ⊙ m) and "detector_accuracy" (D on
 * x ⊙ (1 − m)) of the batch; per epoch "train_l1", "train_l2",
 * "train_hinge", "train_area" (the epoch's means) and on the test split
 * "test_predictor_accuracy", "test_detector_accuracy", "test_area"; and a
 * tensor "masks" (up to 8 test images' masks) after every epoch. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "io/vt-safetensors.h"
#include "methods/comet/vt-comet.h"
#include "methods/comet/vt-comet-predictor.h"
#include "models/vt-trainable.h"
#include "report/vt-report.h"
#include "config.h"

#include <math.h>
#include <string.h>

/* Index 1: VtCometStep.detector_batchnorm_training. */
static const char * const batchnorm_modes[] = { "eval", "train", NULL };

#define COMET_MAX_EPOCHS 10000
/* The test images whose masks the window redraws every epoch. */
#define COMET_SHOWN_MASKS 8

static void
comet_init (VtStep *base)
{
  VtCometStep *step = (VtCometStep *) base;
  VtCometLossSettings loss = VT_COMET_LOSS_DEFAULTS;

  vt_model_input_init (&step->input);
  step->input.batch = 128;
  step->epochs = 10;
  step->a = loss.a;
  step->g = loss.g;
  step->b = loss.b;
  step->tau = loss.tau;
  step->lr = 5e-4;
  step->weight_decay = 0.03;
  step->gamma = 0.2;   /* the official code's MultiStepLR */
  step->seed = 0;
  step->shuffle = TRUE;
  step->predictor_depth = 20;
  step->selector_width = 16;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
comet_clear (VtStep *base)
{
  VtCometStep *step = (VtCometStep *) base;

  vt_model_input_clear (&step->input);
  g_free (step->test_split);
  g_free (step->milestones);
}

static VtStep *
comet_parse (JsonObject  *object,
             const char  *path,
             GError     **error)
{
  static const char * const keys[] = { "kind", "id", "detector", "dataset", "split", "coarse_labels", "transform",
                                       "batch", "test_split", "train_limit", "test_limit", "epochs", "a", "g", "b",
                                       "tau", "lr", "weight_decay", "milestones", "gamma", "warmup_epochs", "seed",
                                       "shuffle", "predictor_depth", "selector_width", "detector_batchnorm",
                                       "formats", NULL };
  VtCometStep *step = (VtCometStep *) vt_step_new (&vt_comet_step_type, NULL);
  guint format_flags = step->formats;
  int batchnorm = step->detector_batchnorm_training;
  g_autofree char *detector = NULL;
  /* The model-input keys as the other steps read them, the detector
   * standing for the checkpoint. */
  g_autoptr(JsonObject) input = json_object_new ();

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_json_get_string (object, path, "detector", TRUE, &detector, error))
    goto fail;
  {
    g_autoptr(GList) members = json_object_get_members (object);

    for (GList *m = members; m; m = m->next)
      if (!g_str_equal (m->data, "detector"))
        json_object_set_member (input, m->data, json_node_copy (json_object_get_member (object, m->data)));
    json_object_set_string_member (input, "checkpoint", detector);
  }
  if (!vt_model_input_parse (input, path, TRUE, &step->input, error) ||
      !vt_json_get_string (object, path, "test_split", FALSE, &step->test_split, error) ||
      !vt_json_get_uint (object, path, "train_limit", 0, G_MAXINT32, &step->train_limit, error) ||
      !vt_json_get_uint (object, path, "test_limit", 0, G_MAXINT32, &step->test_limit, error) ||
      !vt_json_get_uint (object, path, "epochs", 1, COMET_MAX_EPOCHS, &step->epochs, error) ||
      !vt_step_get_number_in (object, path, "a", 0.0, 1e6, FALSE, &step->a, error) ||
      !vt_step_get_number_in (object, path, "g", 0.0, 1e6, FALSE, &step->g, error) ||
      !vt_step_get_number_in (object, path, "b", 0.0, 1e6, FALSE, &step->b, error) ||
      !vt_step_get_number_in (object, path, "tau", 0.0, 1.0, FALSE, &step->tau, error) ||
      !vt_json_get_number (object, path, "lr", 0.0, 1e30, &step->lr, error) ||
      !vt_step_get_number_in (object, path, "weight_decay", 0.0, 1.0, FALSE, &step->weight_decay, error) ||
      !vt_step_parse_milestones (object, path, step->epochs, &step->milestones, &step->n_milestones, error) ||
      !vt_json_get_number (object, path, "gamma", 0.0, 1.0, &step->gamma, error) ||
      !vt_json_get_uint (object, path, "warmup_epochs", 0, step->epochs - 1, &step->warmup_epochs, error) ||
      !vt_json_get_uint (object, path, "seed", 0, G_MAXUINT32, &step->seed, error) ||
      !vt_json_get_bool (object, path, "shuffle", &step->shuffle, error) ||
      !vt_json_get_uint (object, path, "predictor_depth", 8, 1100, &step->predictor_depth, error) ||
      !vt_json_get_uint (object, path, "selector_width", 1, 256, &step->selector_width, error) ||
      !vt_json_get_choice (object, path, "detector_batchnorm", batchnorm_modes, &batchnorm, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    goto fail;
  if ((step->predictor_depth - 2) % 6 != 0)
    {
      vt_step_invalid_key (error, path, "predictor_depth",
                           "a CIFAR ResNet has 6n + 2 layers (8, 14, 20, 32, 44, 56, 110)");
      goto fail;
    }
  step->detector_batchnorm_training = batchnorm == 1;
  step->formats = format_flags;
  return &step->base;

fail:
  vt_step_free (&step->base);
  return NULL;
}

static void
comet_to_json (const VtStep *base,
               JsonObject   *object)
{
  const VtCometStep *step = (const VtCometStep *) base;

  vt_model_input_to_json (&step->input, object);
  /* the model input's checkpoint is the detector; skip_unreadable is no
   * key of this step */
  json_object_remove_member (object, "checkpoint");
  json_object_remove_member (object, "skip_unreadable");
  json_object_set_string_member (object, "detector", step->input.checkpoint);
  json_object_set_string_member (object, "test_split", step->test_split ? step->test_split : "test");
  json_object_set_int_member (object, "train_limit", step->train_limit);
  json_object_set_int_member (object, "test_limit", step->test_limit);
  json_object_set_int_member (object, "epochs", step->epochs);
  json_object_set_double_member (object, "a", step->a);
  json_object_set_double_member (object, "g", step->g);
  json_object_set_double_member (object, "b", step->b);
  json_object_set_double_member (object, "tau", step->tau);
  json_object_set_double_member (object, "lr", step->lr);
  json_object_set_double_member (object, "weight_decay", step->weight_decay);
  vt_step_milestones_to_json (step->milestones, step->n_milestones, object);
  json_object_set_double_member (object, "gamma", step->gamma);
  json_object_set_int_member (object, "warmup_epochs", step->warmup_epochs);
  json_object_set_int_member (object, "seed", step->seed);
  json_object_set_boolean_member (object, "shuffle", step->shuffle);
  json_object_set_int_member (object, "predictor_depth", step->predictor_depth);
  json_object_set_int_member (object, "selector_width", step->selector_width);
  json_object_set_string_member (object, "detector_batchnorm", batchnorm_modes[step->detector_batchnorm_training]);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
comet_formats (const VtStep *step)
{
  return ((const VtCometStep *) step)->formats;
}

VtCometStep *
vt_comet_step_new (const char *id,
                   const char *detector,
                   const char *dataset)
{
  VtCometStep *step = (VtCometStep *) vt_step_new (&vt_comet_step_type, id);

  step->input.checkpoint = g_strdup (detector);
  step->input.dataset = g_strdup (dataset);
  return step;
}

/* What a run of the step holds. */
typedef struct
{
  VtRunContext      *run;
  VtCometStep       *step;
  VtRunOpened        o;              /* the detector's checkpoint and model, the train split */
  VtDataset         *test;
  VtTrainable       *detector;
  VtCheckpoint      *predictor_checkpoint;
  VtArchitecture    *predictor_arch;
  VtTrainable       *predictor;
  VtCometSelector   *selector;
  VtComet           *comet;
  guint              k;
  int                size;
  gsize              image_floats;
  guint              n_train, n_test;
  float             *pixels;         /* (batch, 3, size, size) */
  gint32            *targets;
  /* the test split, for the maps file */
  float             *test_masks;     /* (n_test, size, size) */
  float             *test_pixels;    /* (n_test, 3, size, size) */
  gint64            *test_samples, *test_targets, *test_predicted;
} Comet;

static void
comet_clear_run (Comet *t)
{
  g_clear_pointer (&t->comet, vt_comet_free);
  g_clear_pointer (&t->selector, vt_comet_selector_free);
  g_clear_pointer (&t->predictor, vt_trainable_free);
  g_clear_pointer (&t->predictor_arch, vt_architecture_free);
  g_clear_pointer (&t->predictor_checkpoint, vt_checkpoint_unref);
  g_clear_pointer (&t->detector, vt_trainable_free);
  g_clear_pointer (&t->test, vt_dataset_unref);
  vt_run_opened_clear (&t->o);
  g_free (t->pixels);
  g_free (t->targets);
  g_free (t->test_masks);
  g_free (t->test_pixels);
  g_free (t->test_samples);
  g_free (t->test_targets);
  g_free (t->test_predicted);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Comet, comet_clear_run)

/* Decodes samples @indices of @dataset into t->pixels and t->targets. */
static gboolean
load_batch (Comet        *t,
            VtDataset    *dataset,
            const guint  *indices,
            guint         n,
            GError      **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VtImage) image = vt_dataset_load_image (dataset, indices[i], error);
      g_autofree char *name = NULL;

      if (image == NULL)
        return FALSE;
      name = vt_dataset_sample_name (dataset, indices[i]);
      if (!vt_transform_check_image (&t->o.transform, image, name, error))
        return FALSE;
      vt_transform_apply (&t->o.transform, image, t->pixels + (gsize) i * t->image_floats);
      t->targets[i] = (gint32) dataset->labels[indices[i]];
    }
  return TRUE;
}

static void
emit_metric (VtRunContext *run,
             const char   *series,
             const char   *x_name,
             double        x,
             double        y)
{
  VtEvent event = { .kind = VT_EVENT_METRIC, .series = series, .x_name = x_name, .x = x, .y = y };

  vt_run_dispatch (run, &event);
}

/* The test split's masks (kept for the maps file), P's accuracy on
 * x ⊙ m, D's on x ⊙ (1 − m) and on x, and the mean mask area. */
static gboolean
evaluate_test (Comet   *t,
               double  *predictor_accuracy,
               double  *detector_accuracy,
               double  *clean_accuracy,
               double  *area,
               GError **error)
{
  guint batch = t->step->input.batch, predictor_correct = 0, detector_correct = 0, clean_correct = 0;
  gsize plane = (gsize) t->size * t->size;
  g_autofree guint *indices = g_new (guint, batch);
  double area_sum = 0.0;

  for (guint start = 0; start < t->n_test; start += batch)
    {
      guint m = MIN (batch, t->n_test - start);
      const VtTapeNode *logits;

      if (g_cancellable_set_error_if_cancelled (t->run->cancellable, error))
        return FALSE;
      for (guint i = 0; i < m; i++)
        indices[i] = start + i;
      if (!load_batch (t, t->test, indices, m, error))
        return FALSE;
      memcpy (t->test_pixels + (gsize) start * t->image_floats, t->pixels, sizeof (float) * m * t->image_floats);
      /* the detector's own class for each clean image, as the attribute step's "predicted" */
      if (!vt_trainable_forward (t->detector, t->pixels, (int) m, t->size, t->size, error))
        return FALSE;
      logits = vt_trainable_lookup_tap (t->detector, "logits");
      for (guint i = 0; i < m; i++)
        {
          const float *row = logits->value + (gsize) i * t->k;
          guint best = 0;

          for (guint c = 1; c < t->k; c++)
            if (row[c] > row[best])
              best = c;
          t->test_predicted[start + i] = best;
          t->test_targets[start + i] = t->targets[i];
          t->test_samples[start + i] = start + i;
          clean_correct += best == (guint) t->targets[i];
        }
      if (!vt_comet_evaluate (t->comet, t->pixels, t->targets, (int) m, t->size, t->size,
                              t->test_masks + (gsize) start * plane, &predictor_correct, &detector_correct, error))
        return FALSE;
      for (gsize p = 0; p < (gsize) m * plane; p++)
        area_sum += t->test_masks[(gsize) start * plane + p];
    }
  *predictor_accuracy = (double) predictor_correct / t->n_test;
  *detector_accuracy = (double) detector_correct / t->n_test;
  *clean_accuracy = (double) clean_correct / t->n_test;
  *area = area_sum / ((double) t->n_test * plane);
  return TRUE;
}

/* <id>-maps.safetensors in the attribute step's layout: the masks as the
 * map of the method "comet", the images, samples, targets (the labels:
 * COMET's masks explain the label) and the detector's classes. */
static gboolean
write_maps (Comet       *t,
            const char  *path,
            GError     **error)
{
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 map_shape[3] = { t->n_test, t->size, t->size };
  gint64 pixel_shape[4] = { t->n_test, 3, t->size, t->size };
  gint64 count_shape[1] = { t->n_test };
  VtTensor tensors[5];
  const VtTensor *pointers[5];

  tensors[0] = vt_step_tensor_view ("comet", VT_DTYPE_F32, 3, map_shape, t->test_masks);
  tensors[1] = vt_step_tensor_view ("input.pixel_values", VT_DTYPE_F32, 4, pixel_shape, t->test_pixels);
  tensors[2] = vt_step_tensor_view ("samples", VT_DTYPE_I64, 1, count_shape, t->test_samples);
  tensors[3] = vt_step_tensor_view ("targets", VT_DTYPE_I64, 1, count_shape, t->test_targets);
  tensors[4] = vt_step_tensor_view ("predicted", VT_DTYPE_I64, 1, count_shape, t->test_predicted);
  for (int i = 0; i < 5; i++)
    pointers[i] = &tensors[i];
  g_hash_table_insert (metadata, "producer", "vitrine " PACKAGE_VERSION);
  g_hash_table_insert (metadata, "checkpoint", t->o.checkpoint_path);
  /* what the faithfulness step's "extra_maps" checks its own images against */
  g_hash_table_insert (metadata, "dataset", t->o.dataset_path);
  if (t->test->split)
    g_hash_table_insert (metadata, "split", t->test->split);
  g_hash_table_insert (metadata, "comet.definition",
                       "COMET's mask m = sigmoid(S(x)) of a selector trained against this detector "
                       "(Zood123/COMET); what it keeps, P classifies; what it leaves out, D must fail on");
  g_hash_table_insert (metadata, "postprocessing", "none: the mask, in [0, 1]");
  return vt_safetensors_write (path, 5, pointers, metadata, error);
}

/* Emits the first test images' masks, which the window redraws. */
static void
emit_masks (Comet *t)
{
  gsize shape[3] = { MIN (t->n_test, COMET_SHOWN_MASKS), (gsize) t->size, (gsize) t->size };
  VtEvent event = { .kind = VT_EVENT_TENSOR, .name = "masks", .shape = shape, .n_dims = 3,
                    .data = t->test_masks };

  vt_run_dispatch (t->run, &event);
}

static gboolean
open_networks (Comet        *t,
               const char   *predictor_initial,
               GError      **error)
{
  VtCometStep *step = t->step;
  const VtArchitecture *arch = vt_model_get_architecture (t->o.model);
  VtOptimizerSettings settings = { VT_OPTIMIZER_ADAMW, 0.0, FALSE, 0.9, 0.999, 1e-8 };
  VtSchedule schedule = { step->milestones ? VT_SCHEDULE_MULTI_STEP : VT_SCHEDULE_CONSTANT, 0, 1.0 / 3.0, 1,
                          step->gamma, { 0 }, 0, 0, 0.0 };
  VtCometLossSettings loss = { step->a, step->g, step->b, step->tau };
  guint batch = step->input.batch, steps_per_epoch = (t->n_train + batch - 1) / batch;

  if (!(t->detector = vt_trainable_new (t->o.checkpoint, arch, error)))
    {
      g_prefix_error (error, "%s.detector: COMET needs the detector's backward pass: ", t->run->step_path);
      return FALSE;
    }
  if (!vt_comet_selector_check_input (t->size, t->size, error) ||
      !vt_trainable_check_input (t->detector, t->size, t->size, error))
    {
      g_prefix_error (error, "%s.transform: ", t->run->step_path);
      return FALSE;
    }
  if (!vt_comet_predictor_write_initial (predictor_initial, (int) step->predictor_depth, (int) t->k, step->seed,
                                         error) ||
      !(t->predictor_checkpoint = vt_checkpoint_open (predictor_initial, error)))
    return FALSE;
  t->predictor_arch = vt_architecture_recognize (t->predictor_checkpoint);
  if (!(t->predictor = vt_trainable_new (t->predictor_checkpoint, t->predictor_arch, error)))
    return FALSE;
  if (!vt_step_memory_check_comet (t->detector, t->predictor, (int) step->selector_width, batch, t->size,
                                   t->n_test, t->run->step_path, error))
    return FALSE;
  t->selector = vt_comet_selector_new ((int) step->selector_width, step->seed);
  vt_trainable_set_batchnorm_training (t->detector, step->detector_batchnorm_training);

  schedule.warmup = (int) (step->warmup_epochs * steps_per_epoch);
  /* The official code's WarmUpLR starts at 1/W of the rate (W the warm-up
   * steps) and rises linearly; LinearLR's form from the same start is
   * within 1/W of the rate of it at every step. */
  if (schedule.warmup > 0)
    schedule.warmup_start = 1.0 / schedule.warmup;
  vt_step_schedule_milestones (&schedule, step->milestones, step->n_milestones, steps_per_epoch);
  t->comet = vt_comet_new (t->selector, t->predictor, t->detector, t->k, &loss, &settings, &schedule, step->lr,
                           step->weight_decay, error);
  if (t->comet == NULL)
    {
      g_prefix_error (error, "%s: ", t->run->step_path);
      return FALSE;
    }
  return TRUE;
}

JsonNode *
vt_run_comet (VtRunContext  *run,
              VtStep        *base,
              GError       **error)
{
  VtCometStep *step = (VtCometStep *) base;
  g_auto(Comet) t = { run, step };
  VtModelInput train_input = step->input;
  const char *id = step->base.id;
  g_autofree char *selector_name = g_strdup_printf ("%s-selector.safetensors", id);
  g_autofree char *predictor_name = g_strdup_printf ("%s-predictor.safetensors", id);
  g_autofree char *initial_name = g_strdup_printf ("%s-predictor-initial.safetensors", id);
  g_autofree char *maps_name = g_strdup_printf ("%s-maps.safetensors", id);
  g_autofree char *csv_name = g_strdup_printf ("%s-epochs.csv", id);
  g_autofree char *steps_csv_name = g_strdup_printf ("%s-steps.csv", id);
  g_autofree char *selector_path = g_build_filename (run->output_dir, selector_name, NULL);
  g_autofree char *predictor_path = g_build_filename (run->output_dir, predictor_name, NULL);
  g_autofree char *initial_path = g_build_filename (run->output_dir, initial_name, NULL);
  g_autofree char *maps_path = g_build_filename (run->output_dir, maps_name, NULL);
  GString *csv = g_string_new ("epoch,l1,l2,hinge,area,loss,train_predictor_accuracy,train_detector_accuracy,"
                               "test_predictor_accuracy,test_detector_accuracy,test_area\n");
  GString *steps_csv = g_string_new ("step,epoch,l1,l2,hinge,area,loss,lr\n");
  JsonArray *epochs = json_array_new ();
  g_autofree guint *order = NULL;
  guint batch = step->input.batch, steps_per_epoch, global_step = 0, finished = 0;
  double test_predictor = NAN, test_detector = NAN, clean = NAN, test_area = NAN;
  JsonObject *result;
  JsonNode *node;

  if (train_input.split == NULL)
    train_input.split = (char *) "train";
  if (!vt_run_open_model_input (run, &train_input, &t.o, error))
    goto fail;
  {
    VtDatasetOptions options = { step->test_split ? step->test_split : "test", step->input.coarse_labels,
                                 run->cancellable };

    if (!(t.test = vt_dataset_open (t.o.dataset_path, &options, error)))
      goto fail;
  }
  t.k = (guint) MAX (vt_model_get_architecture (t.o.model)->num_classes, 0);
  if (t.o.dataset->n_classes > t.k || t.test->n_classes > t.k)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.dataset: %s has %u classes (%u in its test split) but the detector's head has %u outputs; "
                   "COMET explains the detector's classes, so the dataset's must fit them",
                   run->step_path, t.o.dataset_path, t.o.dataset->n_classes, t.test->n_classes, t.k);
      goto fail;
    }
  t.n_train = step->train_limit ? MIN (step->train_limit, t.o.dataset->n_samples) : t.o.dataset->n_samples;
  t.n_test = step->test_limit ? MIN (step->test_limit, t.test->n_samples) : t.test->n_samples;
  if (t.n_train == 0 || t.n_test == 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: the %s split has no samples", t.o.dataset_path,
                   t.n_train == 0 ? train_input.split : t.test->split);
      goto fail;
    }
  t.size = t.o.transform.crop_size;
  if (!open_networks (&t, initial_path, error))
    goto fail;

  t.image_floats = (gsize) 3 * t.size * t.size;
  t.pixels = g_new (float, t.image_floats * batch);
  t.targets = g_new (gint32, batch);
  t.test_masks = g_new (float, (gsize) t.n_test * t.size * t.size);
  t.test_pixels = g_new (float, (gsize) t.n_test * t.image_floats);
  t.test_samples = g_new (gint64, t.n_test);
  t.test_targets = g_new (gint64, t.n_test);
  t.test_predicted = g_new (gint64, t.n_test);
  order = g_new (guint, t.n_train);
  for (guint i = 0; i < t.n_train; i++)
    order[i] = i;
  steps_per_epoch = (t.n_train + batch - 1) / batch;
  {
    GRand *rand = g_rand_new_with_seed (step->seed);

    for (guint epoch = 1; epoch <= step->epochs; epoch++)
      {
        double sums[5] = { 0 };   /* l1, l2, hinge, area, loss, weighted by batch size */
        guint predictor_correct = 0, detector_correct = 0;
        JsonObject *entry;

        /* Fisher–Yates from the seed: the same order for the same seed. */
        for (guint i = t.n_train - 1; step->shuffle && i > 0; i--)
          {
            guint j = (guint) g_rand_int_range (rand, 0, (gint32) (i + 1)), v = order[i];

            order[i] = order[j];
            order[j] = v;
          }
        for (guint b = 0; b < steps_per_epoch; b++)
          {
            guint start = b * batch, m = MIN (batch, t.n_train - start);
            double lr = vt_optimizer_get_lr (vt_comet_get_optimizer (t.comet), 0);
            VtCometLosses l;

            /* The last finished epoch's files are on disk already. */
            if (g_cancellable_set_error_if_cancelled (run->cancellable, error) ||
                !load_batch (&t, t.o.dataset, order + start, m, error) ||
                !vt_comet_train_step (t.comet, t.pixels, t.targets, (int) m, t.size, t.size, &l, error))
              {
                g_rand_free (rand);
                if (error && *error && (*error)->domain == VT_COMET_ERROR)
                  g_prefix_error (error, "%s: epoch %u, batch %u of %u: ", run->step_path, epoch, b + 1,
                                  steps_per_epoch);
                goto fail;
              }
            sums[0] += l.l1 * m;
            sums[1] += l.l2 * m;
            sums[2] += l.hinge * m;
            sums[3] += l.area * m;
            sums[4] += l.loss * m;
            predictor_correct += l.predictor_correct;
            detector_correct += l.detector_correct;
            emit_metric (run, "l1", "step", global_step, l.l1);
            emit_metric (run, "l2", "step", global_step, l.l2);
            emit_metric (run, "hinge", "step", global_step, l.hinge);
            emit_metric (run, "area", "step", global_step, l.area);
            emit_metric (run, "predictor_accuracy", "step", global_step, (double) l.predictor_correct / m);
            emit_metric (run, "detector_accuracy", "step", global_step, (double) l.detector_correct / m);
            {
              double values[] = { l.l1, l.l2, l.hinge, l.area, l.loss, lr };

              g_string_append_printf (steps_csv, "%u,%u", global_step, epoch);
              for (guint v = 0; v < G_N_ELEMENTS (values); v++)
                {
                  g_autofree char *text = vt_run_csv_number (values[v]);

                  g_string_append_printf (steps_csv, ",%s", text);
                }
              g_string_append_c (steps_csv, '\n');
            }
            global_step++;
            /* nine tenths of each epoch's share of the bar for training,
             * the rest for the test split's masks */
            vt_run_emit (run, VT_EVENT_PROGRESS,
                         (epoch - 1 + 0.9 * (b + 1) / steps_per_epoch) / step->epochs, NULL);
          }
        if (!evaluate_test (&t, &test_predictor, &test_detector, &clean, &test_area, error) ||
            !vt_comet_selector_save (t.selector, selector_path, error) ||
            !vt_trainable_save (t.predictor, t.predictor_checkpoint, NULL, predictor_path, error) ||
            !write_maps (&t, maps_path, error))
          {
            g_rand_free (rand);
            goto fail;
          }
        emit_metric (run, "train_l1", "epoch", epoch, sums[0] / t.n_train);
        emit_metric (run, "train_l2", "epoch", epoch, sums[1] / t.n_train);
        emit_metric (run, "train_hinge", "epoch", epoch, sums[2] / t.n_train);
        emit_metric (run, "train_area", "epoch", epoch, sums[3] / t.n_train);
        emit_metric (run, "test_predictor_accuracy", "epoch", epoch, test_predictor);
        emit_metric (run, "test_detector_accuracy", "epoch", epoch, test_detector);
        emit_metric (run, "test_area", "epoch", epoch, test_area);
        emit_masks (&t);
        entry = json_object_new ();
        json_object_set_int_member (entry, "epoch", epoch);
        vt_run_set_number (entry, "l1", sums[0] / t.n_train);
        vt_run_set_number (entry, "l2", sums[1] / t.n_train);
        vt_run_set_number (entry, "hinge", sums[2] / t.n_train);
        vt_run_set_number (entry, "area", sums[3] / t.n_train);
        vt_run_set_number (entry, "loss", sums[4] / t.n_train);
        vt_run_set_number (entry, "train_predictor_accuracy", (double) predictor_correct / t.n_train);
        vt_run_set_number (entry, "train_detector_accuracy", (double) detector_correct / t.n_train);
        vt_run_set_number (entry, "test_predictor_accuracy", test_predictor);
        vt_run_set_number (entry, "test_detector_accuracy", test_detector);
        vt_run_set_number (entry, "test_area", test_area);
        json_array_add_object_element (epochs, entry);
        {
          double values[] = { sums[0] / t.n_train, sums[1] / t.n_train, sums[2] / t.n_train, sums[3] / t.n_train,
                              sums[4] / t.n_train, (double) predictor_correct / t.n_train,
                              (double) detector_correct / t.n_train, test_predictor, test_detector, test_area };

          g_string_append_printf (csv, "%u", epoch);
          for (guint v = 0; v < G_N_ELEMENTS (values); v++)
            {
              g_autofree char *text = vt_run_csv_number (values[v]);

              g_string_append_printf (csv, ",%s", text);
            }
          g_string_append_c (csv, '\n');
        }
        /* the tables of the epochs finished so far, for a run cancelled later */
        if (!vt_run_write_output (run, csv_name, csv->str, error) ||
            !vt_run_write_output (run, steps_csv_name, steps_csv->str, error))
          {
            g_rand_free (rand);
            goto fail;
          }
        finished = epoch;
        vt_run_emit (run, VT_EVENT_PROGRESS, (double) epoch / step->epochs, NULL);
      }
    g_rand_free (rand);
  }
  vt_run_emit (run, VT_EVENT_FILE, 1.0, maps_name);

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  json_object_set_string_member (result, "detector", t.o.checkpoint_path);
  json_object_set_string_member (result, "detector_batchnorm", step->detector_batchnorm_training
                                 ? "train mode: the batch's statistics, as the official code's detector"
                                 : "eval mode: the running statistics");
  json_object_set_string_member (result, "dataset", t.o.dataset_path);
  json_object_set_string_member (result, "split", train_input.split);
  json_object_set_string_member (result, "test_split", t.test->split);
  json_object_set_int_member (result, "train_images", t.n_train);
  json_object_set_int_member (result, "test_images", t.n_test);
  json_object_set_string_member (result, "predictor_architecture", t.predictor_arch->model_name);
  json_object_set_int_member (result, "selector_parameters", (gint64) vt_comet_selector_n_params (t.selector));
  json_object_set_int_member (result, "steps", global_step);
  json_object_set_int_member (result, "epochs_finished", finished);
  json_object_set_array_member (result, "epochs", epochs);
  epochs = NULL;
  vt_run_set_number (result, "test_predictor_accuracy", test_predictor);
  vt_run_set_number (result, "test_detector_accuracy", test_detector);
  vt_run_set_number (result, "detector_clean_accuracy", clean);
  vt_run_set_number (result, "test_area", test_area);
  json_object_set_string_member (result, "selector", selector_name);
  json_object_set_string_member (result, "predictor", predictor_name);
  json_object_set_string_member (result, "predictor_initial", initial_name);
  json_object_set_string_member (result, "maps", maps_name);
  json_object_set_string_member (result, "epochs_table", csv_name);
  json_object_set_string_member (result, "steps_table", steps_csv_name);
  json_object_set_array_member (result, "figures", json_array_new ());
  g_string_free (csv, TRUE);
  g_string_free (steps_csv, TRUE);
  return node;

fail:
  if (epochs)
    json_array_unref (epochs);
  g_string_free (csv, TRUE);
  g_string_free (steps_csv, TRUE);
  return NULL;
}

const VtStepType vt_comet_step_type = {
  .name = "comet",
  .size = sizeof (VtCometStep),
  .init = comet_init,
  .parse = comet_parse,
  .clear = comet_clear,
  .to_json = comet_to_json,
  .execute = vt_run_comet,
  .formats = comet_formats,
  .figures = vt_report_comet_figures,
};
