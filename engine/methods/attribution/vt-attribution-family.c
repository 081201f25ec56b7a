/* vt-attribution-family.c: the table of attribution method families. */
#include "vt-attribution-family.h"

#include <glib/gi18n-lib.h>

#include "methods/attribution/vt-cam.h"

/* Score-CAM's masked inputs per forward pass: small enough that Cancel is
 * seen between batches within a fraction of a second on a ViT-B. */
#define SCORE_BATCH 16

static const char *
cam_name (int method)
{
  return vt_cam_method_name ((VtCamMethod) method);
}

static const char *
cam_title (int method)
{
  return vt_cam_method_title ((VtCamMethod) method);
}

static const char *
cam_formula (int method)
{
  return vt_cam_method_formula ((VtCamMethod) method);
}

static gboolean
cam_compute (const VtAttributionInput *input,
             const int                *methods,
             int                       n_methods,
             float * const            *maps,
             double                   *seconds,
             gint64                   *target_out,
             gint64                   *predicted_out,
             GCancellable             *cancellable,
             GError                  **error)
{
  g_autofree VtCamMethod *cams = g_new (VtCamMethod, MAX (n_methods, 1));

  for (int i = 0; i < n_methods; i++)
    cams[i] = (VtCamMethod) methods[i];
  return vt_cam_compute (input->model, input->layer, input->patch_size, input->pixels, 1, input->height,
                         input->width, input->target >= 0 ? &input->target : NULL, cams, n_methods, SCORE_BATCH,
                         target_out, predicted_out, maps, seconds, cancellable, error);
}

static const VtAttributionFamily families[] = {
  {
    .name = "cam",
    .title = N_("Class activation maps"),
    .is_signed = FALSE,
    .uses_layer = TRUE,
    /* VT_CAM_POSTPROCESSING, in words. */
    .postprocessing = N_("Every map: ReLU; minus its minimum, divided by its maximum + 1e-7; bilinear "
                         "up-sampling with half-pixel centres to the input; the same min–max scaling again."),
    .n_methods = VT_CAM_N_METHODS,
    .method_name = cam_name,
    .method_title = cam_title,
    .method_formula = cam_formula,
    .compute = cam_compute,
  },
};

const VtAttributionFamily *
vt_attribution_families (guint *n_families)
{
  *n_families = G_N_ELEMENTS (families);
  return families;
}
