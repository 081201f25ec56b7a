/* vitrine-predict-page.h: the Predict area: an image in, the top five
 * classes out, with probabilities and the time the run took. Each
 * prediction is a run of a "predict" step (VitrineRun), listed in the Runs
 * panel; the page shows what the run wrote, just run or reopened. */
#pragma once

#include <gtk/gtk.h>

#include "io/vt-image.h"
#include "models/vt-model.h"
#include "vitrine-run.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_PREDICT_PAGE (vitrine_predict_page_get_type ())
G_DECLARE_FINAL_TYPE (VitrinePredictPage, vitrine_predict_page, VITRINE, PREDICT_PAGE, GtkWidget)

/* Whether @model can predict classes: it has a classifier head, or it is a
 * CLIP model (zero-shot over typed class names). */
gboolean  vitrine_predict_page_supports   (VtModel            *model);
/* The model to run (referenced), or NULL. */
void      vitrine_predict_page_set_model  (VitrinePredictPage *self,
                                           VtModel            *model);
/* For a CLIP model: the class names (comma-separated) and the prompt
 * ("a photo of a {}.") of zero-shot prediction, as typed in the page. */
void      vitrine_predict_page_set_zero_shot (VitrinePredictPage *self,
                                              const char         *classes,
                                              const char         *prompt);
/* Where the page lists the runs it starts (the window's; held). */
void      vitrine_predict_page_set_runs   (VitrinePredictPage *self,
                                           GListStore         *runs);
/* Classifies @file as a run of a predict step (the model's checkpoint,
 * the image, the top five; for CLIP the typed classes and prompt). */
void      vitrine_predict_page_open       (VitrinePredictPage *self,
                                           GFile              *file);
/* Whether a prediction is under way, or its picture is still decoding. */
gboolean  vitrine_predict_page_is_busy    (VitrinePredictPage *self);
/* Shows the predictions the finished @run's predict step wrote (its
 * results.json; the first image, and a list of them where it classified
 * several), without
 * computing them again; the error is shown in the page too. The picture
 * follows once decoded (busy until then). */
gboolean  vitrine_predict_page_show_run   (VitrinePredictPage *self,
                                           VitrineRun         *run,
                                           GError            **error);
/* The run shown or under way, or NULL. */
VitrineRun *vitrine_predict_page_get_run  (VitrinePredictPage *self);
/* How many images the shown run classified (0: none shown); which of
 * them is shown, as the page's list of them chooses. */
guint     vitrine_predict_page_get_n_predictions (VitrinePredictPage *self);
void      vitrine_predict_page_choose_prediction (VitrinePredictPage *self,
                                                  guint               index);
/* Rank @i (0-based) of the last prediction: its class and probability;
 * FALSE past the end or before any prediction. */
gboolean  vitrine_predict_page_get_top    (VitrinePredictPage *self,
                                           guint               i,
                                           const char        **name,
                                           double             *probability);
/* Whether an image is shown: the last one classified, none after an error. */
gboolean  vitrine_predict_page_shows_image (VitrinePredictPage *self);
/* The Open Image dialog's filter: every format the engine decodes. */
GtkFileFilter *vitrine_predict_page_image_filter_new (void);
/* The error of the last attempt, or NULL. */
const char *vitrine_predict_page_get_error (VitrinePredictPage *self);
/* The crop the model saw for the prediction shown (the step's "input"
 * PNG), or NULL; and the warning shown beside it, or NULL: most of the
 * photo cropped away, or its scale changed more than 8× down or 4× up. */
const VtImage *vitrine_predict_page_get_model_input  (VitrinePredictPage *self);
const char    *vitrine_predict_page_get_input_warning (VitrinePredictPage *self);
/* LIT's domain warning shown for the prediction, or NULL: the step flagged
 * the image outside the model's classes (its maximum softmax probability
 * below the step's outside_threshold). */
const char    *vitrine_predict_page_get_domain_warning (VitrinePredictPage *self);
/* The file the zero-shot tokenizer came from: the checkpoint's vocab.json,
 * or the bundled OpenAI vocabulary; NULL for a classifier. */
const char *vitrine_predict_page_get_vocabulary (VitrinePredictPage *self);

G_END_DECLS
