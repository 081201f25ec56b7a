/* vt-spec.h: the experiment spec, one JSON file that says what a run does.
 *
 *   { "name": "…",                       optional
 *     "steps": [ { "kind": "inspect", … }, … ] }
 *
 * Each step has a "kind"; each kind has its own keys (see README.md). Unknown
 * keys and bad values are errors that name the JSON path, e.g.
 * "$.steps[0].bins: expected an integer from 2 to 4096". Relative paths are
 * relative to the spec file's folder. */
#pragma once

#include <json-glib/json-glib.h>

#include "run/vt-figure.h"

G_BEGIN_DECLS

#define VT_SPEC_ERROR (vt_spec_error_quark ())
GQuark vt_spec_error_quark (void);

typedef enum
{
  VT_SPEC_ERROR_READ,     /* the file cannot be read */
  VT_SPEC_ERROR_PARSE,    /* not JSON */
  VT_SPEC_ERROR_INVALID,  /* JSON, but not a valid spec */
} VtSpecError;

typedef enum
{
  VT_STEP_INSPECT,
  VT_STEP_FORWARD,
  VT_STEP_EVALUATE,
} VtStepKind;

/* Every step starts with this header. */
typedef struct
{
  VtStepKind  kind;
  char       *id;          /* names the step's output files; unique */
} VtStep;

typedef struct
{
  VtStep            base;
  char             *checkpoint;   /* absolute or relative to the spec */
  char            **histograms;   /* tensor names to draw, may be empty */
  guint             bins;
  VtFigureFormats   formats;
} VtInspectStep;

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
} VtForwardStep;

/* Classifies every image of a folder (root/<class>/<image>), each through
 * the model's eval transform: top-1, top-5, per-class accuracy and the
 * confusion matrix. */
typedef struct
{
  VtStep            base;
  char             *checkpoint;
  char             *dataset;
  gboolean          has_mean;
  gboolean          has_std;
  float             mean[3];      /* override the model's preset */
  float             std[3];
  guint             batch;
  VtFigureFormats   formats;
} VtEvaluateStep;

typedef struct
{
  char       *path;        /* the spec file, or NULL */
  char       *base_dir;    /* where relative paths start */
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

/* A step's path resolved against the spec's folder. */
char     *vt_spec_resolve_path    (VtSpec       *spec,
                                   const char   *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtSpec, vt_spec_free)

G_END_DECLS
