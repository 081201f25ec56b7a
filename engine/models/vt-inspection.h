/* vt-inspection.h: a checkpoint opened, recognized and measured: what the
 * Model area shows and what an "inspect" step writes. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "core/vt-events.h"
#include "core/vt-stats.h"
#include "io/vt-checkpoint.h"
#include "models/vt-architecture.h"
#include "models/vt-layer-list.h"

G_BEGIN_DECLS

#define VT_INSPECTION_ERROR (vt_inspection_error_quark ())
GQuark vt_inspection_error_quark (void);

typedef enum
{
  VT_INSPECTION_ERROR_JSON,      /* an inspection's JSON lacks a key, or has a bad value */
  VT_INSPECTION_ERROR_MISMATCH,  /* the checkpoint's tensors are not the inspection's */
} VtInspectionError;

typedef struct
{
  VtCheckpoint    *checkpoint;
  VtArchitecture  *architecture;
  VtTensorStats   *stats;          /* one per tensor, in checkpoint order */
  guint            n_tensors;
  guint64          n_parameters;
  VtLayerList     *layers;         /* what the model computes (vt-layer-list.h), or NULL: */
  char            *layers_unavailable;  /* why not (no forward pass for it), or NULL */
} VtInspection;

/* Opens @path and computes every tensor's statistics with @n_bins histogram
 * bins, and where the model has a forward pass its layer list (one pass of
 * one image of zeros), with VT_EVENT_PROGRESS to @events (may be NULL; fraction of the
 * bytes read, message the tensor's name). Cancellable between tensors;
 * G_IO_ERROR_CANCELLED when cancelled. */
VtInspection *vt_inspection_run       (const char      *path,
                                       guint            n_bins,
                                       const VtEventSink *events,
                                       GCancellable    *cancellable,
                                       GError         **error);
void          vt_inspection_free      (VtInspection    *inspection);

/* The tensor named @name, also when the checkpoint stores it under a
 * "module." prefix; its index, or -1. */
int           vt_inspection_find      (VtInspection    *inspection,
                                       const char      *name);

/* {"summary": …, "architecture": …, "tensors": [ … ], "layers": [ … ] or
 * "layers_unavailable": "why"} */
JsonNode     *vt_inspection_to_json   (VtInspection    *inspection);
/* Adds each tensor's histogram to @json (from vt_inspection_to_json), as
 * "histogram": {"lo", "hi", "counts"} in its entry of "tensors". */
void          vt_inspection_add_histograms (VtInspection *inspection,
                                            JsonNode     *json);
/* The inspection of @checkpoint (referenced) that @json holds: what
 * vt_inspection_to_json wrote, with or without each tensor's histogram
 * (without: n_bins 0). Nothing is computed again. @where names the JSON
 * (a file, a path in it) in errors; a checkpoint whose tensors are not
 * those of the inspection (changed since, or another one) is an error. */
VtInspection *vt_inspection_new_from_json  (VtCheckpoint *checkpoint,
                                            JsonNode     *json,
                                            const char   *where,
                                            GError      **error);
/* One row per tensor: name, dtype, shape, statistics. */
char         *vt_inspection_to_csv    (VtInspection    *inspection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtInspection, vt_inspection_free)

G_END_DECLS
