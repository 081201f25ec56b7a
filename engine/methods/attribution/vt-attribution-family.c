/* vt-attribution-family.c: the table of attribution method families. */
#include "vt-attribution-family.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "methods/attribution/vt-cam.h"

void
vt_attribution_options_init (VtAttributionOptions *options)
{
  memset (options, 0, sizeof *options);
  options->score_batch = VT_ATTRIBUTION_SCORE_BATCH;
  vt_gradient_attribution_options_init (&options->gradient);
}

/* --- The CAM family (vt-cam.h) ------------------------------------------- */

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

static char *
cam_definition (int                         method,
                const VtAttributionOptions *options)
{
  return g_strdup (vt_cam_method_formula ((VtCamMethod) method));
}

static gboolean
cam_compute (const VtAttributionInput           *input,
             const int                          *methods,
             const VtAttributionOptions * const *options,
             int                                 n_methods,
             float * const                      *maps,
             double                             *seconds,
             double * const                     *gaps,
             gint64                             *targets_out,
             gint64                             *predicted_out,
             GCancellable                       *cancellable,
             GError                            **error)
{
  g_autofree VtCamMethod *cams = g_new (VtCamMethod, MAX (n_methods, 1));
  guint score_batch = VT_ATTRIBUTION_SCORE_BATCH;

  for (int i = 0; i < n_methods; i++)
    {
      cams[i] = (VtCamMethod) methods[i];
      if (cams[i] == VT_CAM_SCORECAM)
        score_batch = options[i]->score_batch;
      /* A CAM is no sum of attributions: no completeness to speak of. */
      for (int b = 0; gaps && gaps[i] && b < input->batch; b++)
        gaps[i][b] = NAN;
    }
  return vt_cam_compute (input->model, input->layer, input->patch_size, input->pixels, input->batch, input->height,
                         input->width, input->targets, cams, n_methods, (int) score_batch, targets_out,
                         predicted_out, maps, seconds, cancellable, error);
}

/* --- The gradient family (vt-gradient-attribution.h) --------------------- */

static const char *
gradient_name (int method)
{
  return vt_gradient_attribution_method_name ((VtGradientAttributionMethod) method);
}

static const char *
gradient_title (int method)
{
  return vt_gradient_attribution_method_title ((VtGradientAttributionMethod) method);
}

static char *
gradient_definition (int                         method,
                     const VtAttributionOptions *options)
{
  return vt_gradient_attribution_definition ((VtGradientAttributionMethod) method, &options->gradient);
}

static gboolean
gradient_compute (const VtAttributionInput           *input,
                  const int                          *methods,
                  const VtAttributionOptions * const *options,
                  int                                 n_methods,
                  float * const                      *maps,
                  double                             *seconds,
                  double * const                     *gaps,
                  gint64                             *targets_out,
                  gint64                             *predicted_out,
                  GCancellable                       *cancellable,
                  GError                            **error)
{
  g_autofree double *unused_gaps = g_new (double, MAX (input->batch, 1));

  for (int i = 0; i < n_methods; i++)
    {
      VtGradientAttributionOptions o = options[i]->gradient;

      memcpy (o.mean, input->mean, sizeof o.mean);
      memcpy (o.std, input->std, sizeof o.std);
      if (!vt_gradient_attribute (input->model, (VtGradientAttributionMethod) methods[i], &o, input->pixels,
                                  input->batch, input->height, input->width, input->targets, maps[i], targets_out,
                                  predicted_out, gaps && gaps[i] ? gaps[i] : unused_gaps, &seconds[i], cancellable,
                                  error))
        return FALSE;
    }
  return TRUE;
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
    .method_definition = cam_definition,
    .compute = cam_compute,
  },
  {
    .name = "gradient",
    .title = N_("Gradients"),
    .is_signed = TRUE,
    .uses_layer = FALSE,
    .postprocessing = N_("Gradient maps: summed over the colour channels, signed, not scaled; gradient rollout: "
                         "up-sampled from the patch grid, bilinear with half-pixel centres."),
    .n_methods = VT_GRADIENT_ATTRIBUTION_N_METHODS,
    .method_name = gradient_name,
    .method_title = gradient_title,
    .method_definition = gradient_definition,
    .compute = gradient_compute,
  },
};

const VtAttributionFamily *
vt_attribution_families (guint *n_families)
{
  *n_families = G_N_ELEMENTS (families);
  return families;
}

gboolean
vt_attribution_lookup_method (const char                  *name,
                              const VtAttributionFamily  **family,
                              int                         *method)
{
  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    for (int i = 0; i < families[f].n_methods; i++)
      if (g_str_equal (families[f].method_name (i), name))
        {
          *family = &families[f];
          *method = i;
          return TRUE;
        }
  return FALSE;
}

char *
vt_attribution_known_methods (void)
{
  GString *text = g_string_new (NULL);

  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    for (int i = 0; i < families[f].n_methods; i++)
      g_string_append_printf (text, "%s%s", text->len ? ", " : "", families[f].method_name (i));
  return g_string_free (text, FALSE);
}
