/* vitrine-attribution-page.h: the Attribution area: which pixels of one
 * image a classifier's decision rests on. The methods chosen (every
 * family of vt-attribution-family.h) side by side, as a row of maps over
 * the image on one colour scale, each with its time; the layer they read,
 * the class they explain (the predicted one, or any), the prediction;
 * exported as figures and as safetensors. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-dataset.h"
#include "models/vt-model.h"
#include "vitrine-comet-page.h"
#include "vitrine-faithfulness-panel.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_ATTRIBUTION_PAGE (vitrine_attribution_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrineAttributionPage, vitrine_attribution_page, VITRINE, ATTRIBUTION_PAGE, GtkWidget)

/* Whether @model has attributions to show: a classifier of a family with
 * a backward pass (vt_trainable_supports). */
gboolean    vitrine_attribution_page_supports      (VtModel                *model);
/* The model to explain (referenced), or NULL. Lists its layers in a
 * worker thread. */
void        vitrine_attribution_page_set_model     (VitrineAttributionPage *self,
                                                    VtModel                *model);
/* The Dataset area's dataset (referenced), or NULL: its samples can be
 * explained by index. */
void        vitrine_attribution_page_set_dataset   (VitrineAttributionPage *self,
                                                    VtDataset              *dataset);
/* Decodes @file and computes the chosen methods' maps, in a worker thread. */
void        vitrine_attribution_page_open          (VitrineAttributionPage *self,
                                                    GFile                  *file);
/* The same for sample @index of that dataset. */
void        vitrine_attribution_page_open_sample   (VitrineAttributionPage *self,
                                                    guint                   index);
/* Computes again, for the image shown, with the settings as they are. */
void        vitrine_attribution_page_compute       (VitrineAttributionPage *self);
/* Stops the computation under way, as Cancel does. */
void        vitrine_attribution_page_cancel        (VitrineAttributionPage *self);
/* Whether a worker (the layers, or a computation) is under way. */
gboolean    vitrine_attribution_page_is_busy       (VitrineAttributionPage *self);
/* Whether the last computation stopped at Cancel (one that had finished
 * by then shows its maps). */
gboolean    vitrine_attribution_page_was_cancelled (VitrineAttributionPage *self);
/* The error of the last attempt (naming the file), or NULL. */
const char *vitrine_attribution_page_get_error     (VitrineAttributionPage *self);

/* Chooses method @name ("gradcam", …) or not, as its check button does;
 * FALSE when there is no such method. */
gboolean    vitrine_attribution_page_set_method    (VitrineAttributionPage *self,
                                                    const char             *name,
                                                    gboolean                chosen);
/* The layer the maps read, as the drop-down chooses it (which re-runs a
 * shown computation); FALSE when the model has no such layer. */
gboolean    vitrine_attribution_page_set_layer     (VitrineAttributionPage *self,
                                                    const char             *layer);
const char *vitrine_attribution_page_get_layer     (VitrineAttributionPage *self);
/* The class explained, or −1 for the predicted one, as the drop-down
 * chooses it (which re-runs a shown computation). */
void        vitrine_attribution_page_set_target    (VitrineAttributionPage *self,
                                                    gint64                  target);

/* The last computation's map of method @name at the input's size, or
 * NULL when it did not compute that method. */
const float *vitrine_attribution_page_get_map      (VitrineAttributionPage *self,
                                                    const char             *name,
                                                    int                    *height,
                                                    int                    *width);
/* The class the maps explain, and the predicted one; −1 before any. */
gint64      vitrine_attribution_page_get_target    (VitrineAttributionPage *self);
gint64      vitrine_attribution_page_get_predicted (VitrineAttributionPage *self);
/* The row of maps: a figure view (VT_FIGURE_OVERLAY_ROW). */
GtkWidget  *vitrine_attribution_page_get_view      (VitrineAttributionPage *self);

/* Writes @base_path.png, .svg and .pdf: the row of maps. */
gboolean    vitrine_attribution_page_export_row    (VitrineAttributionPage *self,
                                                    const char             *base_path,
                                                    GError                **error);
/* Writes the maps as safetensors at @path (atomically): one F32 tensor
 * (1, H, W) per method, named as the method is ("gradcam"), "samples" I64
 * (1) (the dataset index, or 0 for an image file) and "targets" I64 (1);
 * metadata "checkpoint", "layer", "image" and "<method>.definition" (its
 * formula). */
gboolean    vitrine_attribution_page_export_maps   (VitrineAttributionPage *self,
                                                    const char             *path,
                                                    GError                **error);

/* COMET, the area's second page (vitrine-comet-page.h): the model and the
 * dataset above are its detector and data. Where it lists its runs (the
 * window's runs; held). */
void        vitrine_attribution_page_set_runs      (VitrineAttributionPage *self,
                                                    GListStore             *runs);
/* Shows @run, a finished comet run on the COMET page or a faithfulness
 * run on the Metrics page, which it brings to the front. */
gboolean    vitrine_attribution_page_show_run      (VitrineAttributionPage *self,
                                                    VitrineRun             *run,
                                                    GError                **error);
VitrineCometPage *vitrine_attribution_page_get_comet_page (VitrineAttributionPage *self);
/* Brings the COMET page (TRUE) or the maps (FALSE) to the front. */
void        vitrine_attribution_page_show_comet    (VitrineAttributionPage *self,
                                                    gboolean                comet);
/* The Metrics page (vitrine-faithfulness-panel.h): the methods ticked on
 * the Maps page measured on the dataset above; and bringing it to the
 * front. */
VitrineFaithfulnessPanel *vitrine_attribution_page_get_faithfulness_panel (VitrineAttributionPage *self);
void        vitrine_attribution_page_show_metrics  (VitrineAttributionPage *self);

G_END_DECLS
