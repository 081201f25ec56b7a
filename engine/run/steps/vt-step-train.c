/* vt-step-train.c: the "train" step kind: its keys, defaults, JSON and
 * constructor; and its executor, vt_run_train: fine-tuning a checkpoint on
 * a dataset's train split through the whole-network backward
 * (vt-trainable.h) and an optimizer (vt-optim.h), evaluated on the test
 * split after every epoch.
 *
 * BatchNorm trains in eval mode by default (the running statistics, as
 * the model infers), or with "batchnorm": "train" in training mode, as
 * PyTorch's model.train(): the batch's statistics, the running ones
 * updated every step and saved with the checkpoint. The test split is
 * always evaluated in eval mode, as model.eval() would. */
#include "vt-step-common.h"
#include "run/vt-run-steps.h"
#include "run/vt-step-memory.h"
#include "core/vt-atomic-file.h"
#include "io/vt-safetensors.h"
#include "models/vt-trainable.h"
#include "nn/vt-loss.h"
#include "nn/vt-optim.h"
#include "report/vt-csv.h"
#include "report/vt-report.h"

#include <math.h>
#include <string.h>

/* Order matches VtTrainPart from VT_TRAIN_HEAD on. */
static const char * const train_parts[] = { "head", "last_blocks", "norms", "all", NULL };
/* Order matches VtOptimizerKind. */
static const char * const optimizer_names[] = { "sgd", "adam", "adamw", NULL };
/* Order matches VtScheduleKind. */
static const char * const schedule_names[] = { "constant", "step", "multistep", "cosine", NULL };
/* Index 1: VtTrainStep.batchnorm_training. */
static const char * const batchnorm_modes[] = { "eval", "train", NULL };

#define TRAIN_MAX_EPOCHS 10000

static void
train_init (VtStep *base)
{
  VtTrainStep *step = (VtTrainStep *) base;

  vt_model_input_init (&step->input);
  step->trains = VT_TRAIN_HEAD;
  step->blocks = 1;
  step->epochs = 1;
  step->optimizer = VT_OPTIMIZER_SGD;
  step->lr = 0.01;
  step->momentum = 0.9;
  step->schedule = VT_SCHEDULE_CONSTANT;
  step->step_epochs = 1;
  step->gamma = 0.1;
  step->shuffle = TRUE;
  step->formats = VT_FIGURE_FORMATS_ALL;
}

static void
train_clear (VtStep *base)
{
  VtTrainStep *step = (VtTrainStep *) base;

  vt_model_input_clear (&step->input);
  g_free (step->test_split);
  g_free (step->milestones);
}

static gboolean
parse_augment (JsonObject   *object,
               const char   *path,
               VtTrainStep  *step,
               GError      **error)
{
  static const char * const keys[] = { "pad", "flip", NULL };
  g_autofree char *where = g_strdup_printf ("%s.augment", path);
  JsonNode *node = json_object_get_member (object, "augment");
  JsonObject *augment;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s: not an object (\"pad\", \"flip\")", where);
      return FALSE;
    }
  augment = json_node_get_object (node);
  return vt_json_check_keys (augment, where, keys, error) &&
         vt_json_get_uint (augment, where, "pad", 0, 64, &step->pad, error) &&
         vt_json_get_bool (augment, where, "flip", &step->flip, error);
}

static VtStep *
train_parse (JsonObject  *object,
             const char  *path,
             GError     **error)
{
  static const char * const keys[] = { "kind", "id", MODEL_INPUT_KEYS, "test_split", "trains", "blocks", "epochs",
                                       "optimizer", "lr", "momentum", "weight_decay", "schedule", "step_epochs",
                                       "milestones", "gamma", "warmup_epochs", "label_smoothing", "seed",
                                       "augment", "shuffle", "batchnorm", "formats", NULL };
  VtTrainStep *step = (VtTrainStep *) vt_step_new (&vt_train_step_type, NULL);
  guint format_flags = step->formats;
  int part = step->trains - VT_TRAIN_HEAD;
  int batchnorm = step->batchnorm_training;

  if (!vt_json_check_keys (object, path, keys, error) ||
      !vt_model_input_parse (object, path, TRUE, &step->input, error) ||
      !vt_json_get_string (object, path, "test_split", FALSE, &step->test_split, error) ||
      !vt_json_get_choice (object, path, "trains", train_parts, &part, error) ||
      !vt_json_get_uint (object, path, "blocks", 1, 1000, &step->blocks, error) ||
      !vt_json_get_uint (object, path, "epochs", 1, TRAIN_MAX_EPOCHS, &step->epochs, error) ||
      !vt_json_get_choice (object, path, "optimizer", optimizer_names, &step->optimizer, error) ||
      !vt_json_get_number (object, path, "lr", 0.0, 1e30, &step->lr, error) ||
      !vt_step_get_number_in (object, path, "momentum", 0.0, 1.0, TRUE, &step->momentum, error) ||
      !vt_step_get_number_in (object, path, "weight_decay", 0.0, 1.0, FALSE, &step->weight_decay, error) ||
      !vt_json_get_choice (object, path, "schedule", schedule_names, &step->schedule, error) ||
      !vt_json_get_uint (object, path, "step_epochs", 1, TRAIN_MAX_EPOCHS, &step->step_epochs, error) ||
      !vt_step_parse_milestones (object, path, step->epochs, &step->milestones, &step->n_milestones, error) ||
      !vt_json_get_number (object, path, "gamma", 0.0, 1.0, &step->gamma, error) ||
      !vt_json_get_uint (object, path, "warmup_epochs", 0, step->epochs - 1, &step->warmup_epochs, error) ||
      !vt_step_get_number_in (object, path, "label_smoothing", 0.0, 1.0, TRUE, &step->label_smoothing, error) ||
      !vt_json_get_uint (object, path, "seed", 0, G_MAXUINT32, &step->seed, error) ||
      !parse_augment (object, path, step, error) ||
      !vt_json_get_bool (object, path, "shuffle", &step->shuffle, error) ||
      !vt_json_get_choice (object, path, "batchnorm", batchnorm_modes, &batchnorm, error) ||
      !vt_json_get_flags (object, path, "formats", vt_step_format_names, &format_flags, error))
    {
      vt_step_free (&step->base);
      return NULL;
    }
  if (step->schedule == VT_SCHEDULE_MULTI_STEP && step->milestones == NULL)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.milestones: the \"multistep\" schedule needs a list of epochs", path);
      vt_step_free (&step->base);
      return NULL;
    }
  step->trains = VT_TRAIN_HEAD + part;
  step->batchnorm_training = batchnorm == 1;
  step->formats = format_flags;
  return &step->base;
}

static void
train_to_json (const VtStep *base,
               JsonObject   *object)
{
  const VtTrainStep *step = (const VtTrainStep *) base;
  JsonObject *augment = json_object_new ();

  vt_model_input_to_json (&step->input, object);
  json_object_set_string_member (object, "test_split", step->test_split ? step->test_split : "test");
  json_object_set_string_member (object, "trains", train_parts[step->trains - VT_TRAIN_HEAD]);
  if (step->trains == VT_TRAIN_LAST_BLOCKS)
    json_object_set_int_member (object, "blocks", step->blocks);
  json_object_set_int_member (object, "epochs", step->epochs);
  json_object_set_string_member (object, "optimizer", optimizer_names[step->optimizer]);
  json_object_set_double_member (object, "lr", step->lr);
  json_object_set_double_member (object, "momentum", step->momentum);
  json_object_set_double_member (object, "weight_decay", step->weight_decay);
  json_object_set_string_member (object, "schedule", schedule_names[step->schedule]);
  if (step->schedule == VT_SCHEDULE_STEP)
    json_object_set_int_member (object, "step_epochs", step->step_epochs);
  vt_step_milestones_to_json (step->milestones, step->n_milestones, object);
  json_object_set_double_member (object, "gamma", step->gamma);
  json_object_set_int_member (object, "warmup_epochs", step->warmup_epochs);
  json_object_set_double_member (object, "label_smoothing", step->label_smoothing);
  json_object_set_int_member (object, "seed", step->seed);
  json_object_set_int_member (augment, "pad", step->pad);
  json_object_set_boolean_member (augment, "flip", step->flip);
  json_object_set_object_member (object, "augment", augment);
  json_object_set_boolean_member (object, "shuffle", step->shuffle);
  json_object_set_string_member (object, "batchnorm", batchnorm_modes[step->batchnorm_training]);
  vt_step_formats_to_json (step->formats, object);
}

static VtFigureFormats
train_formats (const VtStep *step)
{
  return ((const VtTrainStep *) step)->formats;
}

VtTrainStep *
vt_train_step_new (const char *id,
                   const char *checkpoint,
                   const char *dataset)
{
  VtTrainStep *step = (VtTrainStep *) vt_step_new (&vt_train_step_type, id);

  step->input.checkpoint = g_strdup (checkpoint);
  step->input.dataset = g_strdup (dataset);
  return step;
}

static gboolean
same_class_names (const VtArchitecture *arch,
                  char                **names,
                  guint                 k)
{
  if (arch->class_names == NULL)
    return TRUE;
  for (guint c = 0; c < k; c++)
    {
      g_autofree char *model = vt_step_class_name_key (arch->class_names[c]);
      g_autofree char *data = vt_step_class_name_key (names[c]);

      if (!g_str_equal (model, data))
        return FALSE;
    }
  return TRUE;
}

/* What a run of the step holds. */
typedef struct
{
  VtRunContext      *run;
  VtTrainStep       *step;
  VtRunOpened        o;              /* the checkpoint, model and train split */
  VtDataset         *test;
  VtTrainable       *net;
  VtOptimizer       *optimizer;
  GRand             *rand;
  guint              k;              /* classes */
  int                size;           /* the crop */
  gsize              image_floats;   /* 3 × size × size */
  float             *pixels;         /* (batch, 3, size, size) */
  float             *padded;         /* one image, padded, for the random crop */
  gint32            *targets;
  float             *probs;
  float             *dlogits;
  float              fill[3];        /* a black pixel, normalized: what padding adds */
  char             **class_names;    /* k: the dataset's (its larger split's), then the model's */
} Training;

static void
training_clear (Training *t)
{
  vt_run_opened_clear (&t->o);
  g_clear_pointer (&t->test, vt_dataset_unref);
  g_clear_pointer (&t->net, vt_trainable_free);
  g_clear_pointer (&t->optimizer, vt_optimizer_free);
  g_clear_pointer (&t->rand, g_rand_free);
  g_free (t->pixels);
  g_free (t->padded);
  g_free (t->targets);
  g_free (t->probs);
  g_free (t->dlogits);
  g_strfreev (t->class_names);
}

/* Random crop after zero padding (of the image, so the normalized black),
 * then a horizontal flip; in place on one (3, S, S) image. */
static void
augment_image (Training *t,
               float    *image)
{
  int s = t->size, pad = (int) t->step->pad, ps = s + 2 * pad;

  if (pad > 0)
    {
      int dx, dy;

      for (int c = 0; c < 3; c++)
        for (int y = 0; y < ps; y++)
          for (int x = 0; x < ps; x++)
            {
              gboolean inside = y >= pad && y < pad + s && x >= pad && x < pad + s;

              t->padded[((gsize) c * ps + y) * ps + x] =
                inside ? image[((gsize) c * s + y - pad) * s + x - pad] : t->fill[c];
            }
      dy = g_rand_int_range (t->rand, 0, 2 * pad + 1);
      dx = g_rand_int_range (t->rand, 0, 2 * pad + 1);
      for (int c = 0; c < 3; c++)
        for (int y = 0; y < s; y++)
          memcpy (image + ((gsize) c * s + y) * s, t->padded + ((gsize) c * ps + y + dy) * ps + dx,
                  sizeof (float) * s);
    }
  if (t->step->flip && g_rand_boolean (t->rand))
    for (int c = 0; c < 3; c++)
      for (int y = 0; y < s; y++)
        {
          float *row = image + ((gsize) c * s + y) * s;

          for (int x = 0; x < s / 2; x++)
            {
              float v = row[x];
              row[x] = row[s - 1 - x];
              row[s - 1 - x] = v;
            }
        }
}

/* Decodes samples @indices of @dataset into t->pixels and t->targets. */
static gboolean
load_batch (Training      *t,
            VtDataset     *dataset,
            const guint   *indices,
            guint          n,
            gboolean       augment,
            GError       **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VtImage) image = vt_dataset_load_image (dataset, indices[i], error);
      g_autofree char *name = NULL;
      float *out = t->pixels + (gsize) i * t->image_floats;

      if (image == NULL)
        return FALSE;
      name = vt_dataset_sample_name (dataset, indices[i]);
      if (!vt_transform_check_image (&t->o.transform, image, name, error))
        return FALSE;
      vt_transform_apply (&t->o.transform, image, out);
      if (augment)
        augment_image (t, out);
      t->targets[i] = (gint32) dataset->labels[indices[i]];
    }
  return TRUE;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Training, training_clear)

/* Top-1 accuracy on the test split, in batches; FALSE when cancelled. */
static gboolean
evaluate_test (Training  *t,
               double    *accuracy,
               GError   **error)
{
  guint batch = t->step->input.batch, n = t->test->n_samples, correct = 0;
  g_autofree guint *indices = g_new (guint, batch);

  /* model.eval(): the running statistics, which this leaves as they are;
   * the next epoch sets the training mode again */
  vt_trainable_set_batchnorm_training (t->net, FALSE);
  for (guint start = 0; start < n; start += batch)
    {
      guint m = MIN (batch, n - start);

      if (g_cancellable_set_error_if_cancelled (t->run->cancellable, error))
        return FALSE;
      for (guint i = 0; i < m; i++)
        indices[i] = start + i;
      if (!load_batch (t, t->test, indices, m, FALSE, error) ||
          !vt_trainable_forward (t->net, t->pixels, (int) m, t->size, t->size, error))
        return FALSE;
      correct += vt_count_correct (vt_trainable_lookup_tap (t->net, "logits")->value, t->targets, m, t->k);
    }
  *accuracy = n > 0 ? (double) correct / n : NAN;
  return TRUE;
}

/* The checkpoint's tensors, the trained ones replaced, as
 * <dir>/model.safetensors, and the config.json beside it that names the
 * dataset's classes. Both atomic; the folder holds the last finished
 * epoch's model. */
static gboolean
save_checkpoint (Training    *t,
                 const char  *dir,
                 GError     **error)
{
  VtCheckpoint *checkpoint = t->o.checkpoint;
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  JsonObject *source = vt_checkpoint_get_config (checkpoint);
  g_autoptr(JsonObject) config_object = json_object_new ();
  /* json_node_init_object takes a reference of its own. */
  g_autoptr(JsonNode) config = json_node_init_object (json_node_alloc (), config_object);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonArray *names = json_array_new ();
  g_autofree char *text = NULL;

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;

      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_OUTPUT, "%s: cannot create the folder: %s", dir,
                   g_strerror (saved));
      json_array_unref (names);
      return FALSE;
    }
  /* Parameters are named without the checkpoint's prefix ("module."). */
  if (!vt_trainable_save (t->net, checkpoint, vt_model_get_architecture (t->o.model)->prefix, path, error))
    {
      json_array_unref (names);
      return FALSE;
    }
  /* The source's config (its normalization, transform), its class names
   * replaced by the dataset's. */
  if (source)
    {
      g_autoptr(GList) members = json_object_get_members (source);

      for (GList *m = members; m; m = m->next)
        json_object_set_member (json_node_get_object (config), m->data,
                                json_node_copy (json_object_get_member (source, m->data)));
    }
  for (guint c = 0; c < t->k; c++)
    json_array_add_string_element (names, t->class_names[c]);
  json_object_set_array_member (json_node_get_object (config), "label_names", names);
  json_generator_set_root (generator, config);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return vt_atomic_file_write (config_path, text, strlen (text), error);
}

/* A new head (torch.nn.Linear's initialization, U(−1/√in, 1/√in), from
 * the step's seed) for a dataset whose classes are other than the model's. */
static gboolean
reset_head (Training     *t,
            const char  **head_name,
            GError      **error)
{
  static const char * const heads[] = { "fc", "head", "linear", "heads.head", NULL };

  for (guint h = 0; heads[h]; h++)
    {
      g_autofree char *weight_name = g_strdup_printf ("%s.weight", heads[h]);
      g_autofree char *bias_name = g_strdup_printf ("%s.bias", heads[h]);
      const VtTrainableParam *weight = vt_trainable_lookup_param (t->net, weight_name);
      const VtTrainableParam *bias = vt_trainable_lookup_param (t->net, bias_name);
      double bound;

      if (weight == NULL || weight->grad == NULL || weight->ndim != 2)
        continue;
      bound = 1.0 / sqrt ((double) weight->shape[1]);
      for (gsize i = 0; i < weight->numel; i++)
        weight->value[i] = (float) g_rand_double_range (t->rand, -bound, bound);
      if (bias && bias->grad)
        for (gsize i = 0; i < bias->numel; i++)
          bias->value[i] = (float) g_rand_double_range (t->rand, -bound, bound);
      *head_name = heads[h];
      return TRUE;
    }
  g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID, "%s.trains: the dataset's classes are not the model's, "
               "so the head must be new and train; found no trainable head (fc, head, linear, heads.head)", t->run->step_path);
  return FALSE;
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

JsonNode *
vt_run_train (VtRunContext  *run,
              VtStep        *base,
              GError       **error)
{
  VtTrainStep *step = (VtTrainStep *) base;
  g_auto(Training) t = { run, step };
  g_autofree char *checkpoint_dir = g_build_filename (run->output_dir, step->base.id, NULL);
  VtModelInput train_input = step->input;
  VtOptimizerSettings settings = { step->optimizer, step->momentum, FALSE, 0.9, 0.999, 1e-8 };
  VtSchedule schedule = { step->schedule, 0, 1.0 / 3.0, 1, step->gamma, { 0 }, 0, 0, 0.0 };
  const VtArchitecture *arch;
  const char *new_head = NULL;
  g_autofree guint *order = NULL;
  GString *csv = g_string_new ("epoch,loss,train_accuracy,test_accuracy\n");
  g_autofree char *csv_name = g_strdup_printf ("%s-metrics.csv", step->base.id);
  /* Every step's loss and learning rate, so a reopened run draws the curve it drew live. */
  GString *steps_csv = g_string_new ("step,epoch,loss,lr\n");
  g_autofree char *steps_csv_name = g_strdup_printf ("%s-steps.csv", step->base.id);
  JsonArray *epochs = json_array_new ();
  guint batch = step->input.batch, steps_per_epoch, global_step = 0, finished = 0;
  double test_accuracy = NAN;
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
  /* A folder without train/ and test/ reads as one set whatever the split
   * (the same files, so the same fingerprint): testing on the images it
   * trains on would report nothing about the model. */
  {
    g_autofree char *train_print = vt_dataset_fingerprint (t.o.dataset, run->cancellable, error);
    g_autofree char *test_print = train_print ? vt_dataset_fingerprint (t.test, run->cancellable, error) : NULL;

    if (test_print == NULL)
      goto fail;
    if (g_str_equal (train_print, test_print))
      {
        g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                     "%s.dataset: %s has no train and test splits (a folder needs train/ and test/ beside "
                     "each other); train evaluates every epoch on a split it does not train on",
                     run->step_path, t.o.dataset_path);
        goto fail;
      }
  }
  arch = vt_model_get_architecture (t.o.model);
  /* IDX and CIFAR labels need not cover every class in each split: a
   * split fits when its classes are at most the head's outputs. */
  t.k = (guint) MAX (arch->num_classes, 0);
  if (t.o.dataset->n_classes > t.k || t.test->n_classes > t.k)
    {
      g_set_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID,
                   "%s.dataset: %s has %u classes (%u in its test split) but the model's head has %u outputs; "
                   "a head of another size is not built yet, so the classes must fit the head",
                   run->step_path, t.o.dataset_path, t.o.dataset->n_classes, t.test->n_classes, t.k);
      goto fail;
    }
  /* A split whose labels miss a class names its classes by number: the
   * names are the larger split's. */
  {
    const VtDataset *named = t.test->n_classes > t.o.dataset->n_classes ? t.test : t.o.dataset;

    t.class_names = g_new0 (char *, t.k + 1);
    for (guint c = 0; c < t.k; c++)
      t.class_names[c] = c < named->n_classes ? g_strdup (named->class_names[c])
                         : arch->class_names ? g_strdup (arch->class_names[c]) : g_strdup_printf ("%u", c);
  }
  if (t.o.dataset->n_samples == 0)
    {
      g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT, "%s: the %s split has no samples", t.o.dataset_path,
                   train_input.split);
      goto fail;
    }
  if (!(t.net = vt_trainable_new (t.o.checkpoint, arch, error)))
    goto fail;
  t.size = t.o.transform.crop_size;
  if (!vt_trainable_check_input (t.net, t.size, t.size, error) ||
      !vt_step_memory_check_train (t.net, batch, t.size, step->pad, run->step_path, error))
    goto fail;
  vt_trainable_set_part (t.net, step->trains, (int) step->blocks);
  vt_trainable_set_input_gradient (t.net, FALSE);
  t.rand = g_rand_new_with_seed (step->seed);
  if (!same_class_names (arch, t.class_names, t.k) && !reset_head (&t, &new_head, error))
    goto fail;

  steps_per_epoch = (t.o.dataset->n_samples + batch - 1) / batch;
  schedule.warmup = (int) (step->warmup_epochs * steps_per_epoch);
  schedule.step_size = (int) (step->step_epochs * steps_per_epoch);
  schedule.total = (int) (step->epochs * steps_per_epoch);
  vt_step_schedule_milestones (&schedule, step->milestones, step->n_milestones, steps_per_epoch);
  if (!(t.optimizer = vt_optimizer_new (&settings, &schedule, error)))
    {
      g_prefix_error (error, "%s: ", run->step_path);
      goto fail;
    }
  {
    int group = vt_optimizer_add_group (t.optimizer, step->lr, step->weight_decay);

    for (guint i = 0; i < vt_trainable_get_n_params (t.net); i++)
      {
        const VtTrainableParam *p = vt_trainable_get_param (t.net, i);

        if (p->grad)
          vt_optimizer_add_param (t.optimizer, group, p->value, p->grad, p->numel);
      }
  }

  t.image_floats = (gsize) 3 * t.size * t.size;
  t.pixels = g_new (float, t.image_floats * batch);
  t.padded = g_new (float, (gsize) 3 * (t.size + 2 * step->pad) * (t.size + 2 * step->pad));
  t.targets = g_new (gint32, batch);
  t.probs = g_new (float, (gsize) batch * t.k);
  t.dlogits = g_new (float, (gsize) batch * t.k);
  for (int c = 0; c < 3; c++)
    t.fill[c] = (0.0f - t.o.transform.mean[c]) / t.o.transform.std[c];
  order = g_new (guint, t.o.dataset->n_samples);
  for (guint i = 0; i < t.o.dataset->n_samples; i++)
    order[i] = i;

  for (guint epoch = 1; epoch <= step->epochs; epoch++)
    {
      guint n = t.o.dataset->n_samples, correct = 0;
      double loss_sum = 0.0, train_accuracy;
      JsonObject *entry;

      vt_trainable_set_batchnorm_training (t.net, step->batchnorm_training);
      /* Fisher–Yates from the seed: the same order for the same seed. */
      for (guint i = n - 1; step->shuffle && i > 0; i--)
        {
          guint j = (guint) g_rand_int_range (t.rand, 0, (gint32) (i + 1)), v = order[i];

          order[i] = order[j];
          order[j] = v;
        }
      for (guint b = 0; b < steps_per_epoch; b++)
        {
          guint start = b * batch, m = MIN (batch, n - start);
          const VtTapeNode *logits;
          double loss, lr;

          /* The last finished epoch's checkpoint is on disk already. */
          if (g_cancellable_set_error_if_cancelled (run->cancellable, error) ||
              !load_batch (&t, t.o.dataset, order + start, m, TRUE, error))
            goto fail;
          /* The one batch shape the model may refuse: a last batch of one
           * image, with BatchNorm in training mode. */
          if (!vt_trainable_forward (t.net, t.pixels, (int) m, t.size, t.size, error))
            {
              g_prefix_error (error, "%s.batch: epoch %u, batch %u of %u, of size %u: ", run->step_path,
                              epoch, b + 1, steps_per_epoch, m);
              goto fail;
            }
          logits = vt_trainable_lookup_tap (t.net, "logits");
          loss = vt_cross_entropy_forward (t.probs, logits->value, t.targets, NULL, (int) m, (int) t.k,
                                           (float) step->label_smoothing, -100, error);
          if (!isfinite (loss))
            {
              g_clear_error (error);
              g_set_error (error, VT_RUN_ERROR, VT_RUN_ERROR_INPUT,
                           "%s: the loss became %s at step %u (epoch %u, batch %u of %u); lower %s.lr (now %g)",
                           run->step_path, isnan (loss) ? "NaN" : "infinite", global_step, epoch, b + 1,
                           steps_per_epoch, run->step_path, step->lr);
              goto fail;
            }
          correct += vt_count_correct (logits->value, t.targets, m, t.k);
          memset (t.dlogits, 0, sizeof (float) * m * t.k);
          vt_cross_entropy_backward (t.dlogits, t.probs, t.targets, NULL, (int) m, (int) t.k,
                                     (float) step->label_smoothing, -100, 1.0f);
          vt_trainable_zero_grad (t.net);
          if (!vt_trainable_backward (t.net, "logits", t.dlogits, error))
            goto fail;
          lr = vt_optimizer_get_lr (t.optimizer, 0);
          vt_optimizer_step (t.optimizer);
          emit_metric (run, "loss", "step", global_step, loss);
          emit_metric (run, "lr", "step", global_step, lr);
          {
            g_autofree char *l = vt_run_csv_number (loss);
            g_autofree char *r = vt_run_csv_number (lr);

            g_string_append_printf (steps_csv, "%u,%u,%s,%s\n", global_step, epoch, l, r);
          }
          loss_sum += loss * m;
          global_step++;
          vt_run_emit (run, VT_EVENT_PROGRESS,
                       (double) global_step / ((double) steps_per_epoch * step->epochs), NULL);
        }
      train_accuracy = (double) correct / n;
      if (!evaluate_test (&t, &test_accuracy, error) || !save_checkpoint (&t, checkpoint_dir, error))
        goto fail;
      emit_metric (run, "train_accuracy", "epoch", epoch, train_accuracy);
      emit_metric (run, "test_accuracy", "epoch", epoch, test_accuracy);
      entry = json_object_new ();
      json_object_set_int_member (entry, "epoch", epoch);
      vt_run_set_number (entry, "loss", loss_sum / n);
      vt_run_set_number (entry, "train_accuracy", train_accuracy);
      vt_run_set_number (entry, "test_accuracy", test_accuracy);
      json_array_add_object_element (epochs, entry);
      {
        g_autofree char *l = vt_run_csv_number (loss_sum / n);
        g_autofree char *tr = vt_run_csv_number (train_accuracy);
        g_autofree char *te = vt_run_csv_number (test_accuracy);

        g_string_append_printf (csv, "%u,%s,%s,%s\n", epoch, l, tr, te);
      }
      finished = epoch;
    }
  if (!vt_run_write_output (run, csv_name, csv->str, error) ||
      !vt_run_write_output (run, steps_csv_name, steps_csv->str, error))
    goto fail;

  node = json_node_new (JSON_NODE_OBJECT);
  result = json_object_new ();
  json_node_take_object (node, result);
  json_object_set_string_member (result, "source_checkpoint", t.o.checkpoint_path);
  json_object_set_string_member (result, "dataset", t.o.dataset_path);
  json_object_set_string_member (result, "split", train_input.split);
  json_object_set_string_member (result, "test_split", t.test->split);
  json_object_set_int_member (result, "train_images", t.o.dataset->n_samples);
  json_object_set_int_member (result, "test_images", t.test->n_samples);
  json_object_set_string_member (result, "trains", train_parts[step->trains - VT_TRAIN_HEAD]);
  {
    guint64 trained = 0;

    for (guint i = 0; i < vt_trainable_get_n_params (t.net); i++)
      if (vt_trainable_get_param (t.net, i)->grad)
        trained += vt_trainable_get_param (t.net, i)->numel;
    json_object_set_int_member (result, "trained_parameters", (gint64) trained);
  }
  if (new_head)
    {
      g_autofree char *why = g_strdup_printf ("new: the dataset's classes are not the model's, so %s started from "
                                              "torch.nn.Linear's initialization", new_head);
      json_object_set_string_member (result, "head", why);
    }
  else
    json_object_set_string_member (result, "head", "kept: the dataset's classes are the model's");
  if (!vt_trainable_has_batchnorm (t.net))
    json_object_set_string_member (result, "batchnorm", step->batchnorm_training
                                   ? "none: the model has no BatchNorm, so \"train\" changed nothing"
                                   : "none: the model has no BatchNorm");
  else if (step->batchnorm_training)
    json_object_set_string_member (result, "batchnorm", "train mode: the batch's statistics; the running "
                                   "statistics updated every step (momentum 0.1) and saved");
  else
    json_object_set_string_member (result, "batchnorm", "eval mode: the running statistics, not updated");
  json_object_set_int_member (result, "steps", global_step);
  json_object_set_int_member (result, "epochs_finished", finished);
  json_object_set_array_member (result, "epochs", epochs);
  epochs = NULL;
  vt_run_set_number (result, "test_accuracy", test_accuracy);
  {
    g_autofree char *model = g_build_filename (step->base.id, "model.safetensors", NULL);
    g_autofree char *config = g_build_filename (step->base.id, "config.json", NULL);

    json_object_set_string_member (result, "checkpoint", model);
    json_object_set_string_member (result, "config", config);
  }
  json_object_set_string_member (result, "metrics_table", csv_name);
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

const VtStepType vt_train_step_type = {
  .name = "train",
  .size = sizeof (VtTrainStep),
  .init = train_init,
  .parse = train_parse,
  .clear = train_clear,
  .to_json = train_to_json,
  .execute = vt_run_train,
  .formats = train_formats,
  .figures = vt_report_train_figures,
};
