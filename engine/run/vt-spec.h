/* vt-spec.h: the experiment spec, one JSON file that says what a run does.
 *
 *   { "name": "…",                       optional
 *     "steps": [ { "kind": "inspect", … }, … ] }
 *
 * Each step has a "kind"; each kind has its own keys (see README.md). Unknown
 * keys and bad values are errors that name the JSON path, e.g.
 * "$.steps[0].bins: expected an integer from 2 to 4096". Relative paths are
 * relative to the spec file's folder, or to "base_dir" where the spec names
 * one (an absolute path; results.json's echo of a spec does). */
#pragma once

#include <json-glib/json-glib.h>

#include "methods/attribution/vt-attention-maps.h"
#include "methods/cil/vt-cil-method.h"
#include "methods/cil/vt-cil-protocol.h"
#include "methods/projection/vt-embedding.h"
#include "report/vt-figure.h"

G_BEGIN_DECLS

#define VT_SPEC_ERROR (vt_spec_error_quark ())
GQuark vt_spec_error_quark (void);

typedef enum
{
  VT_SPEC_ERROR_READ,     /* the file cannot be read */
  VT_SPEC_ERROR_PARSE,    /* not JSON */
  VT_SPEC_ERROR_INVALID,  /* JSON, but not a valid spec */
} VtSpecError;

/* A step's kind: its parser, executor, JSON writer, … (run/vt-step.h).
 * Each kind is one VtStepType, in a file of its own under run/steps/. */
typedef struct _VtStepType VtStepType;

/* Every step starts with this header. */
typedef struct
{
  const VtStepType  *type;
  char              *id;          /* names the step's output files; unique */
} VtStep;

typedef struct
{
  VtStep            base;
  char             *checkpoint;   /* absolute or relative to the spec */
  char            **histograms;   /* tensor names to draw, may be empty */
  guint             bins;
  gboolean          tensor_histograms;  /* every tensor's histogram in results.json (the Model area reads them) */
  VtFigureFormats   formats;
} VtInspectStep;

/* A forward step's "gradients": a backward pass from @target (a tap,
 * "logits" by default) for S = Σᵢ target[i, indexᵢ], written as the taps
 * "grad.<name>" for each name in @wrt (input, taps, parameters). */
typedef struct
{
  char             *target;
  GArray           *index;        /* gint64 per image; NULL: "predicted" (the argmax) */
  char            **wrt;
} VtForwardGradients;

/* Runs a checkpoint on a batch stored in a safetensors file and writes the
 * requested taps to <id>-taps.safetensors. */
typedef struct
{
  VtStep            base;
  char             *checkpoint;
  char             *input;        /* a safetensors file */
  char             *images;       /* tensor name: (N, 3, H, W) float, preprocessed */
  char             *tokens;       /* tensor name: (N, L) integer token ids */
  guint             taps;         /* VtTapFlags */
  VtForwardGradients *gradients;  /* NULL: none */
} VtForwardStep;

/* Changes to a model's eval transform (see vt-transform.h); what is not
 * given keeps the model's preset.
 *   "transform": { "resize": 256, "crop": 224, "crop_pct": 0.875,
 *                  "interpolation": "bicubic", "mean": [...], "std": [...],
 *                  "normalize": false } */
typedef struct
{
  int        resize;          /* -1: preset; 0: no resize */
  int        crop;            /* -1: preset */
  double     crop_pct;        /* 0: not given; else resize = floor(crop / crop_pct) */
  int        interpolation;   /* -1: preset; else a VtResample */
  gboolean   has_mean;
  gboolean   has_std;
  float      mean[3];
  float      std[3];
  gboolean   normalize;       /* FALSE: mean 0, std 1 (scale to [0, 1] only) */
} VtTransformSpec;

/* A model and a dataset run through it: what evaluate and extract share. */
typedef struct
{
  char             *checkpoint;
  char             *dataset;        /* any format vt_dataset_open reads */
  char             *split;          /* "train" / "test", where the dataset has both */
  gboolean          coarse_labels;  /* CIFAR-100 */
  VtTransformSpec   transform;
  guint             batch;
  gboolean          skip_unreadable;
} VtModelInput;

/* Classifies every sample of a dataset whose classes are the model's
 * outputs: top-1, top-5, per-class accuracy and the confusion matrix.
 * Output c is scored against label c, so the model's class names (where it
 * has them) must be the dataset's, unless "class_match" is "index". */
typedef struct
{
  VtStep            base;
  VtModelInput      input;
  gboolean          by_index;       /* "class_match": "index": trust the order, not the names */
  VtFigureFormats   formats;
} VtEvaluateStep;

/* Fine-tunes a model on a dataset's train split (VtTrainable, vt-optim)
 * and evaluates it on the test split every epoch; writes the trained
 * checkpoint (safetensors + config.json), its metrics table and curves.
 * BatchNorm trains in eval mode (the running statistics, kept) unless
 * "batchnorm" is "train" (the batch's statistics; the running ones updated
 * and saved); evaluation is always in eval mode. */
typedef struct
{
  VtStep            base;
  VtModelInput      input;          /* split: the training split (default train) */
  char             *test_split;     /* "test" */
  int               trains;         /* a VtTrainPart */
  guint             blocks;         /* VT_TRAIN_LAST_BLOCKS: how many */
  guint             epochs;
  int               optimizer;      /* a VtOptimizerKind */
  double            lr;
  double            momentum;
  double            weight_decay;
  int               schedule;       /* a VtScheduleKind */
  guint             step_epochs;    /* "step": × gamma every so many epochs */
  guint            *milestones;     /* "multistep": epochs, increasing */
  guint             n_milestones;
  double            gamma;
  guint             warmup_epochs;
  double            label_smoothing;
  guint             seed;
  guint             pad;            /* "augment": random crop after padding by so many pixels; 0: none */
  gboolean          flip;           /* "augment": random horizontal flip */
  gboolean          shuffle;        /* a new order every epoch (default); FALSE: as stored, to compare */
  gboolean          batchnorm_training;   /* "batchnorm": "train"; FALSE: "eval" */
  VtFigureFormats   formats;
} VtTrainStep;

/* COMET (engine/methods/comet/vt-comet.h): a selector and a predictor
 * trained against a frozen detector (input.checkpoint, the "detector"
 * key) on the dataset's training split; after every epoch the masks of
 * the test split, both networks as checkpoints, the epochs table and the
 * curves, so that a cancelled run keeps its last finished epoch. */
typedef struct
{
  VtStep            base;
  VtModelInput      input;          /* checkpoint: the detector; split: the training split (default train) */
  char             *test_split;     /* "test" */
  guint             train_limit;    /* train on the split's first so many images; 0: all */
  guint             test_limit;     /* masks of the test split's first so many; 0: all */
  guint             epochs;
  double            a, g, b, tau;   /* the loss's weights (vt-comet.h) */
  double            lr;
  double            weight_decay;
  guint            *milestones;     /* the multistep schedule's epochs; NULL: constant after the warm-up */
  guint             n_milestones;
  double            gamma;
  guint             warmup_epochs;
  guint             seed;
  gboolean          shuffle;
  guint             predictor_depth;   /* a CIFAR ResNet of 6n + 2 layers, 20 */
  guint             selector_width;    /* 16 */
  gboolean          detector_batchnorm_training;   /* "detector_batchnorm": "train", as the official code */
  VtFigureFormats   formats;
} VtCometStep;

/* Writes a feature store (vt-feature-store.h) of the dataset's pre-logits
 * features; an up-to-date store already at the path is reused. */
typedef struct
{
  VtStep            base;
  VtModelInput      input;
  char             *store;          /* where; default <output>/<id>.safetensors */
  gboolean          cache;          /* "cache": true: in the user's feature cache instead, named by
                                     * the checkpoint's, dataset's and transform's hash (not with "store") */
  gboolean          logits;         /* keep the logits too */
  gboolean          verify;         /* reuse only when the files' bytes hash as stored */
} VtExtractStep;

/* A class-incremental run (vt-cil-run.h) on a train and a test feature
 * store: every chosen method, stage by stage. */
typedef struct
{
  VtStep            base;
  char             *train;          /* feature stores: the id of an earlier */
  char             *test;           /* extract step, or a path */
  char             *split;          /* "B0-Inc10" */
  VtCilSplit        stages;         /* @split, parsed once (by the parser or the constructor) */
  gboolean          shuffle;        /* the class order: numpy's permutation (default) or as stored */
  guint             seed;           /* 1993 */
  guint             methods;        /* bit i: vt_cil_methods ()[i]; default all */
  VtCilOptions      options;
  VtFigureFormats   formats;
} VtIncrementalStep;

/* A feature store laid out by PCA or t-SNE (vt-embedding.h): the layout as
 * CSV, TensorBoard's projector files, a scatter figure, and how well the
 * layout keeps neighbourhoods. */
typedef struct
{
  VtStep              base;
  char               *store;        /* the id of an earlier extract step, or a path */
  VtEmbeddingOptions  options;
  VtEmbeddingColor    color;
  guint               task_classes;  /* color "task": classes per task; 0: the default */
  int                 quality;      /* trustworthiness and kNN accuracy: 1, 0, or -1 (up to 20,000 points) */
  guint               layout_every; /* t-SNE iterations / UMAP epochs between layout events; 0: none */
  VtFigureFormats     formats;
} VtProjectStep;

/* What a model says each image is: the top classes and their
 * probabilities, for a list of image files or a dataset's samples. A CLIP
 * model (no classifier head) classifies over "classes" (names, or a file
 * of names one per line) put into "prompt". */
/* The predict step's default "outside_threshold": below this maximum
 * softmax probability (Hendrycks & Gimpel's out-of-distribution baseline)
 * an image is flagged as likely outside the model's classes. */
#define VT_PREDICT_OUTSIDE_THRESHOLD 0.5

typedef struct
{
  VtStep            base;
  VtModelInput      input;          /* dataset NULL when images are given */
  char            **images;         /* image files, or NULL */
  guint             top;            /* how many classes per image; 5 */
  char            **classes;        /* CLIP: class names, or NULL */
  char             *classes_file;   /* CLIP: a file of names, one per line, or NULL */
  char             *prompt;         /* CLIP: "{}" is the class name; VT_DEFAULT_PROMPT */
  gboolean          inputs;         /* write each image's crop as the model saw it, a PNG */
  double            outside_threshold; /* a maximum softmax probability below it flags the
                                        * image outside the model's classes; 0.5 */
} VtPredictStep;

/* A ViT's attention maps (vt-attention-maps.h) for a few images: each
 * chosen layer's heads (the class token's row), the rollout (and
 * vit-explain's version of it), DINO's mass mask; written at the patch
 * grid and at the image's size to <id>-attention.safetensors. The images
 * come one of three ways: preprocessed in a safetensors file ("input",
 * "images"), as image files ("files"), or from a dataset ("dataset",
 * "split", "samples"). With a CLIP checkpoint, "prompt" adds the text
 * tower's token × token attention of that prompt (vt-text-attention.h);
 * then the images may be left out. */
typedef struct
{
  VtStep            base;
  VtModelInput      input;            /* checkpoint; dataset, split, transform */
  char             *prompt;           /* "prompt": text for a CLIP text tower, or NULL */
  gboolean          text_rollout;     /* "text_rollout": the prompt's rollout, on by default */
  VtRolloutOptions  text_rollout_options;  /* fusion, start_layer; no discarding, no compat */
  char             *input_file;       /* "input": a safetensors file, or NULL */
  char             *images;           /* "images": its (N, 3, H, W) tensor */
  char            **files;            /* "files": image files, or NULL */
  guint            *samples;          /* "samples": dataset indices; NULL: every sample */
  guint             n_samples;
  gboolean          all_heads;        /* "heads": true, every layer (the default) */
  guint            *head_layers;      /* "heads": [layers], or NULL */
  guint             n_head_layers;
  gboolean          rollout;          /* on by default */
  VtRolloutOptions  rollout_options;  /* fusion, discard_ratio, start_layer; compat unused */
  gboolean          mass_mask;
  double            mass_share;       /* 0.6 */
  int               mass_layer;       /* -1: the last */
  gboolean          compat;           /* also vit-explain's rollout, as "rollout_compat" */
  VtFigureFormats   formats;
} VtAttentionStep;

typedef struct
{
  char       *path;        /* the spec file, or NULL */
  char       *base_dir;    /* where relative paths start ("base_dir", else the file's folder) */
  char       *name;
  GPtrArray  *steps;       /* VtStep* */
  JsonNode   *source;      /* the spec as read, echoed into results.json */
} VtSpec;

VtSpec   *vt_spec_load            (const char   *path,
                                   GError      **error);
VtSpec   *vt_spec_new_from_data   (const char   *json,
                                   const char   *base_dir,
                                   GError      **error);
void      vt_spec_free            (VtSpec       *spec);

/* A spec built in code (the window's runs): no file, no steps yet;
 * relative paths in its steps start at @base_dir (may be NULL). */
VtSpec   *vt_spec_new             (const char   *name,
                                   const char   *base_dir);
/* Adds @step (taken) at the end. FALSE, and @step freed, when its id is
 * not a valid one (letters, digits, "-", "_") or is taken. */
gboolean  vt_spec_add_step        (VtSpec       *spec,
                                   VtStep       *step,
                                   GError      **error);
/* The spec as JSON that vt_spec_new_from_data (or `vitrine --batch`)
 * reads back to the same steps: what the window's Save Spec… writes. */
JsonNode *vt_spec_to_json         (VtSpec       *spec);
char     *vt_spec_to_data         (VtSpec       *spec);
/* The spec as results.json echoes it: as read (or, built in code, its
 * vt_spec_to_json), with "base_dir" set to the absolute folder its relative
 * paths start at, so that the echo runs to the same results wherever it is
 * saved or re-run from. */
JsonNode *vt_spec_echo            (VtSpec       *spec);

/* The kind's name in a spec: "inspect", "evaluate", … */
const char *vt_step_kind_name     (const VtStep *step);
void        vt_step_free          (VtStep       *step);

/* Steps built without JSON, with a spec's defaults; set other fields
 * directly (strings are g_free'd with the step). */
VtInspectStep     *vt_inspect_step_new     (const char *id, const char *checkpoint);
VtForwardStep     *vt_forward_step_new     (const char *id, const char *checkpoint, const char *input);
VtEvaluateStep    *vt_evaluate_step_new    (const char *id, const char *checkpoint, const char *dataset);
VtTrainStep       *vt_train_step_new       (const char *id, const char *checkpoint, const char *dataset);
VtCometStep       *vt_comet_step_new       (const char *id, const char *detector, const char *dataset);
VtExtractStep     *vt_extract_step_new     (const char *id, const char *checkpoint, const char *dataset);
VtIncrementalStep *vt_incremental_step_new (const char *id, const char *train, const char *test, const char *split);
VtProjectStep     *vt_project_step_new     (const char *id, const char *store, VtEmbeddingMethod method);
/* @images: NULL-terminated, copied; NULL for a dataset (set input.dataset). */
VtPredictStep     *vt_predict_step_new     (const char *id, const char *checkpoint, const char * const *images);
/* @files: image files, NULL-terminated, copied; NULL for "input" or a dataset. */
VtAttentionStep   *vt_attention_step_new   (const char *id, const char *checkpoint, const char * const *files);

/* A step's path resolved against the spec's folder. */
char     *vt_spec_resolve_path    (VtSpec       *spec,
                                   const char   *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtSpec, vt_spec_free)

G_END_DECLS
