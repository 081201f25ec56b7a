/* vt-cam.c: the CAM family (see vt-cam.h for the formulas). Sums run in
 * double; maps are float. */
#include "vt-cam.h"
#include "vt-attention-maps.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (vt-cam-error-quark, vt_cam_error)

/* numpy.linalg.svd calls LAPACK's dgesdd; EigenCAM's sign is whatever it
 * gives, so the same routine is called here (OpenBLAS carries it). */
extern void dgesdd_ (const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
                     double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
                     int *iwork, int *info);

/* One table: name, title, formula, whether it reads the gradient. */
static const struct
{
  const char *name;
  const char *title;
  const char *formula;
  gboolean    gradient;
} methods[VT_CAM_N_METHODS] = {
  [VT_CAM_GRADCAM] = { "gradcam", "Grad-CAM", "w_c = mean_ij dy/dA_cij; cam = sum_c w_c A_c", TRUE },
  [VT_CAM_GRADCAM_PLUS_PLUS] = { "gradcam++", "Grad-CAM++",
                                 "a = G^2 / (2 G^2 + sum_ij A_c G^3 + 1e-6) where G != 0; "
                                 "w_c = sum_ij relu(G) a; cam = sum_c w_c A_c", TRUE },
  [VT_CAM_HIRESCAM] = { "hirescam", "HiResCAM", "cam = sum_c G_c * A_c", TRUE },
  [VT_CAM_XGRADCAM] = { "xgradcam", "XGrad-CAM", "w_c = sum_ij G A / (sum_ij A_c + 1e-7); cam = sum_c w_c A_c",
                        TRUE },
  [VT_CAM_LAYERCAM] = { "layercam", "LayerCAM", "cam = sum_c relu(G_c) * A_c", TRUE },
  [VT_CAM_EIGENCAM] = { "eigencam", "EigenCAM",
                        "cam = (A as (hw, C), channel means removed) . first right singular vector (dgesdd)",
                        FALSE },
  [VT_CAM_SCORECAM] = { "scorecam", "Score-CAM",
                        "M_c = minmax(upsample_corners(A_c)); w = softmax_c(y(x * M_c)); cam = sum_c w_c A_c",
                        FALSE },
};

const char *
vt_cam_method_name (VtCamMethod method)
{
  g_return_val_if_fail (method < VT_CAM_N_METHODS, NULL);
  return methods[method].name;
}

const char *
vt_cam_method_title (VtCamMethod method)
{
  g_return_val_if_fail (method < VT_CAM_N_METHODS, NULL);
  return methods[method].title;
}

const char *
vt_cam_method_formula (VtCamMethod method)
{
  g_return_val_if_fail (method < VT_CAM_N_METHODS, NULL);
  return methods[method].formula;
}

gboolean
vt_cam_method_from_name (const char  *name,
                         VtCamMethod *method)
{
  for (int m = 0; m < VT_CAM_N_METHODS; m++)
    if (g_str_equal (name, methods[m].name))
      {
        *method = m;
        return TRUE;
      }
  return FALSE;
}

gboolean
vt_cam_method_uses_gradient (VtCamMethod method)
{
  g_return_val_if_fail (method < VT_CAM_N_METHODS, FALSE);
  return methods[method].gradient;
}

/* cam (hw) = Σ_c weights_c A_c. */
static void
weighted_sum (const float  *act,
              const double *weights,
              int           channels,
              gsize         hw,
              float        *cam)
{
  g_autofree double *sum = g_new0 (double, hw);

  for (int c = 0; c < channels; c++)
    {
      const float *a = act + (gsize) c * hw;

      for (gsize p = 0; p < hw; p++)
        sum[p] += weights[c] * a[p];
    }
  for (gsize p = 0; p < hw; p++)
    cam[p] = (float) sum[p];
}

/* EigenCAM (pytorch-grad-cam's get_2d_projection). */
static gboolean
eigen_projection (const float  *act,
                  int           channels,
                  gsize         hw,
                  float        *cam,
                  GError      **error)
{
  int m = (int) hw, n = channels, k = MIN (m, n), info = 0, lwork = -1;
  /* numpy asks for the full U (jobz "A"); past 2048 rows that is a large
   * matrix nobody reads, and "S" gives the same V from the same R. */
  const char *jobz = m <= 2048 ? "A" : "S";
  int ucols = jobz[0] == 'A' ? m : k;
  g_autofree double *a = g_new (double, (gsize) m * n);
  g_autofree double *s = g_new (double, MAX (k, 1));
  g_autofree double *u = g_new (double, (gsize) m * ucols);
  g_autofree double *vt = g_new (double, (gsize) n * n);
  g_autofree int *iwork = g_new (int, 8 * (gsize) MAX (k, 1));
  g_autofree double *work = NULL;
  double size = 0;

  /* Column c of the column-major (hw, C) matrix is channel c, its mean
   * removed. */
  for (int c = 0; c < n; c++)
    {
      const float *x = act + (gsize) c * hw;
      double mean = 0;

      for (gsize p = 0; p < hw; p++)
        mean += x[p];
      mean /= (double) hw;
      for (gsize p = 0; p < hw; p++)
        a[(gsize) c * m + p] = x[p] - mean;
    }
  {
    /* The SVD overwrites A; the projection needs it. */
    g_autofree double *copy = g_memdup2 (a, sizeof (double) * (gsize) m * n);

    dgesdd_ (jobz, &m, &n, copy, &m, s, u, &m, vt, &n, &size, &lwork, iwork, &info);
    if (info == 0)
      {
        lwork = (int) size;
        work = g_new (double, MAX (lwork, 1));
        dgesdd_ (jobz, &m, &n, copy, &m, s, u, &m, vt, &n, work, &lwork, iwork, &info);
      }
  }
  if (info != 0)
    {
      g_set_error (error, VT_CAM_ERROR, VT_CAM_ERROR_FAILED,
                   "EigenCAM: the SVD of the (%d, %d) activations did not converge (LAPACK dgesdd: %d)", m, n, info);
      return FALSE;
    }
  /* VT is column-major (n, n): its first row is vt[c * n]. */
  for (int p = 0; p < m; p++)
    {
      double sum = 0;

      for (int c = 0; c < n; c++)
        sum += a[(gsize) c * m + p] * vt[(gsize) c * n];
      cam[p] = (float) sum;
    }
  return TRUE;
}

gboolean
vt_cam_raw (VtCamMethod   method,
            const float  *act,
            const float  *grad,
            int           channels,
            int           h,
            int           w,
            float        *cam,
            GError      **error)
{
  gsize hw = (gsize) h * w;
  g_autofree double *weights = g_new0 (double, MAX (channels, 1));

  g_return_val_if_fail (method < VT_CAM_N_METHODS && method != VT_CAM_SCORECAM, FALSE);
  g_return_val_if_fail (grad != NULL || !methods[method].gradient, FALSE);

  switch (method)
    {
    case VT_CAM_GRADCAM:
      for (int c = 0; c < channels; c++)
        {
          const float *g = grad + (gsize) c * hw;
          double sum = 0;

          for (gsize p = 0; p < hw; p++)
            sum += g[p];
          weights[c] = sum / (double) hw;
        }
      weighted_sum (act, weights, channels, hw, cam);
      return TRUE;

    case VT_CAM_GRADCAM_PLUS_PLUS:
      for (int c = 0; c < channels; c++)
        {
          const float *a = act + (gsize) c * hw, *g = grad + (gsize) c * hw;
          double sum_a = 0, sum = 0;

          for (gsize p = 0; p < hw; p++)
            sum_a += a[p];
          for (gsize p = 0; p < hw; p++)
            {
              double g1 = g[p], g2 = g1 * g1, g3 = g2 * g1;

              if (g1 > 0)
                sum += g1 * g2 / (2 * g2 + sum_a * g3 + 1e-6);
            }
          weights[c] = sum;
        }
      weighted_sum (act, weights, channels, hw, cam);
      return TRUE;

    case VT_CAM_XGRADCAM:
      for (int c = 0; c < channels; c++)
        {
          const float *a = act + (gsize) c * hw, *g = grad + (gsize) c * hw;
          double sum_a = 0, sum = 0;

          for (gsize p = 0; p < hw; p++)
            {
              sum_a += a[p];
              sum += (double) g[p] * a[p];
            }
          weights[c] = sum / (sum_a + 1e-7);
        }
      weighted_sum (act, weights, channels, hw, cam);
      return TRUE;

    case VT_CAM_HIRESCAM:
    case VT_CAM_LAYERCAM:
      {
        g_autofree double *sum = g_new0 (double, hw);

        for (int c = 0; c < channels; c++)
          {
            const float *a = act + (gsize) c * hw, *g = grad + (gsize) c * hw;

            for (gsize p = 0; p < hw; p++)
              sum[p] += (double) (method == VT_CAM_LAYERCAM ? MAX (g[p], 0.0f) : g[p]) * a[p];
          }
        for (gsize p = 0; p < hw; p++)
          cam[p] = (float) sum[p];
        return TRUE;
      }

    case VT_CAM_EIGENCAM:
      return eigen_projection (act, channels, hw, cam, error);

    case VT_CAM_SCORECAM:
    case VT_CAM_N_METHODS:
      break;
    }
  g_assert_not_reached ();
}

/* x (n) -> (x − min) / (max − min + eps) in place, as
 * pytorch-grad-cam's scale_cam_image: min subtracted first, then the
 * new maximum divides. */
static void
min_max (float  *x,
         gsize   n,
         double  eps)
{
  float lo = x[0], hi;

  for (gsize p = 1; p < n; p++)
    lo = MIN (lo, x[p]);
  for (gsize p = 0; p < n; p++)
    x[p] -= lo;
  hi = x[0];
  for (gsize p = 1; p < n; p++)
    hi = MAX (hi, x[p]);
  for (gsize p = 0; p < n; p++)
    x[p] = (float) (x[p] / (hi + eps));
}

void
vt_cam_postprocess (const float *cam,
                    int          h,
                    int          w,
                    int          out_h,
                    int          out_w,
                    float       *out)
{
  gsize hw = (gsize) h * w;
  g_autofree float *grid = g_new (float, hw);

  for (gsize p = 0; p < hw; p++)
    grid[p] = MAX (cam[p], 0.0f);
  min_max (grid, hw, 1e-7);
  vt_attention_upsample (grid, h, w, out_h, out_w, out);
  min_max (out, (gsize) out_h * out_w, 1e-7);
}

void
vt_cam_upsample_corners (const float *grid,
                         int          gh,
                         int          gw,
                         int          out_h,
                         int          out_w,
                         float       *out)
{
  /* align_corners=True: output pixel y samples grid row y (gh − 1) / (H − 1). */
  double sy = out_h > 1 ? (double) (gh - 1) / (out_h - 1) : 0;
  double sx = out_w > 1 ? (double) (gw - 1) / (out_w - 1) : 0;

  for (int y = 0; y < out_h; y++)
    {
      double fy = y * sy;
      int y0 = MIN ((int) fy, gh - 1), y1 = MIN (y0 + 1, gh - 1);
      double dy = fy - y0;

      for (int x = 0; x < out_w; x++)
        {
          double fx = x * sx;
          int x0 = MIN ((int) fx, gw - 1), x1 = MIN (x0 + 1, gw - 1);
          double dx = fx - x0;
          double top = (1 - dx) * grid[(gsize) y0 * gw + x0] + dx * grid[(gsize) y0 * gw + x1];
          double bottom = (1 - dx) * grid[(gsize) y1 * gw + x0] + dx * grid[(gsize) y1 * gw + x1];

          out[(gsize) y * out_w + x] = (float) ((1 - dy) * top + dy * bottom);
        }
    }
}

/* Score-CAM's mask of one channel (h, w) -> mask (H, W). */
static void
score_mask (const float *channel,
            int          h,
            int          w,
            int          out_h,
            int          out_w,
            float       *mask)
{
  gsize plane = (gsize) out_h * out_w;
  float lo, hi;

  vt_cam_upsample_corners (channel, h, w, out_h, out_w, mask);
  lo = hi = mask[0];
  for (gsize p = 1; p < plane; p++)
    {
      lo = MIN (lo, mask[p]);
      hi = MAX (hi, mask[p]);
    }
  for (gsize p = 0; p < plane; p++)
    mask[p] = (float) ((mask[p] - lo) / ((double) hi - lo + 1e-8));
}

void
vt_cam_score_inputs (const float *pixels,
                     const float *act,
                     int          h,
                     int          w,
                     int          first,
                     int          n,
                     int          out_h,
                     int          out_w,
                     float       *out)
{
  gsize plane = (gsize) out_h * out_w;
  g_autofree float *mask = g_new (float, plane);

  for (int i = 0; i < n; i++)
    {
      score_mask (act + (gsize) (first + i) * h * w, h, w, out_h, out_w, mask);
      for (int k = 0; k < 3; k++)
        {
          const float *x = pixels + (gsize) k * plane;
          float *y = out + ((gsize) i * 3 + k) * plane;

          for (gsize p = 0; p < plane; p++)
            y[p] = x[p] * mask[p];
        }
    }
}

void
vt_cam_score_combine (const float *act,
                      const float *scores,
                      int          channels,
                      int          h,
                      int          w,
                      float       *cam)
{
  g_autofree double *weights = g_new (double, MAX (channels, 1));
  double top = -INFINITY, sum = 0;

  for (int c = 0; c < channels; c++)
    top = MAX (top, scores[c]);
  for (int c = 0; c < channels; c++)
    sum += weights[c] = exp ((double) scores[c] - top);
  for (int c = 0; c < channels; c++)
    weights[c] /= sum;
  weighted_sum (act, weights, channels, (gsize) h * w, cam);
}

void
vt_cam_tokens_to_grid (const float *tokens,
                       int          n_tokens,
                       int          channels,
                       int          prefix,
                       int          gh,
                       int          gw,
                       float       *grid)
{
  gsize patches = (gsize) gh * gw;

  g_return_if_fail (n_tokens == prefix + (int) patches);
  for (gsize p = 0; p < patches; p++)
    {
      const float *t = tokens + (prefix + p) * (gsize) channels;

      for (int c = 0; c < channels; c++)
        grid[(gsize) c * patches + p] = t[c];
    }
}

/* The tap @layer names: itself, or a stage's ("layer3" is "layer3.out"). */
static const VtTapeNode *
lookup_layer (VtTrainable *model,
              const char  *layer)
{
  const VtTapeNode *node = vt_trainable_lookup_tap (model, layer);
  g_autofree char *stage = NULL;

  if (node != NULL)
    return node;
  stage = g_strdup_printf ("%s.out", layer);
  return vt_trainable_lookup_tap (model, stage);
}

/* Whether @node is a layer a CAM can use, and its grid: channels, h, w
 * and the prefix tokens (0 for a convolutional map). */
static gboolean
layer_shape (const VtTapeNode *node,
             int               patch_size,
             int               height,
             int               width,
             int              *channels,
             int              *h,
             int              *w,
             int              *prefix)
{
  if (g_str_equal (node->name, "input"))
    return FALSE;
  if (node->ndim == 4)
    {
      *channels = (int) node->shape[1];
      *h = (int) node->shape[2];
      *w = (int) node->shape[3];
      *prefix = 0;
      return TRUE;
    }
  if (node->ndim == 3 && patch_size > 0)
    {
      int gh = height / patch_size, gw = width / patch_size;
      gint64 extra = node->shape[1] - (gint64) gh * gw;

      *channels = (int) node->shape[2];
      *h = gh;
      *w = gw;
      *prefix = (int) extra;
      return gh > 0 && gw > 0 && extra >= 0 && extra <= 2;
    }
  return FALSE;
}

/* "layer3" for "layer3.out", "blocks.11.norm1" as it is: what a user
 * writes for the layers users pick. */
static gboolean
is_usual_layer (const char *name,
                char      **shown)
{
  g_autoptr(GRegex) stage = g_regex_new ("^(layer[0-9]+)\\.out$", 0, 0, NULL);
  g_autoptr(GRegex) norm = g_regex_new ("^(visual\\.)?blocks\\.[0-9]+\\.norm1$", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  if (g_regex_match (stage, name, 0, &match))
    {
      *shown = g_match_info_fetch (match, 1);
      return TRUE;
    }
  if (g_regex_match (norm, name, 0, NULL))
    {
      *shown = g_strdup (name);
      return TRUE;
    }
  return FALSE;
}

GPtrArray *
vt_cam_layer_names (VtTrainable  *model,
                    int           patch_size,
                    int           height,
                    int           width,
                    char        **default_layer)
{
  g_autoptr(GPtrArray) names = vt_trainable_tap_names (model);
  GPtrArray *usual = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      const VtTapeNode *node = vt_trainable_lookup_tap (model, name);
      int c, h, w, prefix;
      char *shown = NULL;

      if (node == NULL || !layer_shape (node, patch_size, height, width, &c, &h, &w, &prefix))
        continue;
      if (is_usual_layer (name, &shown))
        g_ptr_array_add (usual, shown);
      else
        g_ptr_array_add (others, g_strdup (name));
    }
  if (default_layer)
    *default_layer = usual->len ? g_strdup (g_ptr_array_index (usual, usual->len - 1)) : NULL;
  for (guint i = 0; i < others->len; i++)
    g_ptr_array_add (usual, g_strdup (g_ptr_array_index (others, i)));
  return usual;
}

gboolean
vt_cam_compute (VtTrainable        *model,
                const char         *layer,
                int                 patch_size,
                const float        *pixels,
                int                 batch,
                int                 height,
                int                 width,
                const gint64       *targets,
                const VtCamMethod  *methods_wanted,
                int                 n_methods,
                int                 score_batch,
                gint64             *targets_out,
                gint64             *predicted_out,
                float * const      *maps,
                double             *seconds,
                GCancellable       *cancellable,
                GError            **error)
{
  const VtTapeNode *node, *logits;
  gsize plane = (gsize) height * width, per_image;
  int channels, h, w, prefix, classes;
  gboolean gradient = FALSE, score = FALSE;
  g_autofree float *act = NULL;
  g_autofree float *grad = NULL;
  g_autofree float *dlogits = NULL;
  g_autofree float *cam = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  double forward_s, backward_s = 0;

  for (int m = 0; m < n_methods; m++)
    {
      gradient |= methods[methods_wanted[m]].gradient;
      score |= methods_wanted[m] == VT_CAM_SCORECAM;
      seconds[m] = 0;
    }
  vt_trainable_set_input_gradient (model, FALSE);
  if (!vt_trainable_forward (model, pixels, batch, height, width, error))
    return FALSE;
  forward_s = g_timer_elapsed (timer, NULL);
  if ((node = lookup_layer (model, layer)) == NULL ||
      !layer_shape (node, patch_size, height, width, &channels, &h, &w, &prefix))
    {
      g_set_error (error, VT_CAM_ERROR, VT_CAM_ERROR_LAYER, node ? "“%s” is not a layer of (B, C, h, w) "
                   "activations or patch tokens" : "no layer “%s” in this model", layer);
      return FALSE;
    }
  if ((logits = vt_trainable_lookup_tap (model, "logits")) == NULL)
    {
      g_set_error (error, VT_CAM_ERROR, VT_CAM_ERROR_TARGET, "the model has no classifier (no “logits”): "
                   "a CAM explains a class logit");
      return FALSE;
    }
  classes = (int) logits->shape[1];
  per_image = (gsize) channels * h * w;

  /* The targets, and the gradient of Σᵢ logits[i, targetᵢ]. */
  dlogits = g_new0 (float, (gsize) batch * classes);
  for (int b = 0; b < batch; b++)
    {
      const float *row = logits->value + (gsize) b * classes;
      gint64 k = 0;

      for (int j = 1; j < classes; j++)
        if (row[j] > row[k])
          k = j;
      predicted_out[b] = k;
      if (targets != NULL)
        {
          if (targets[b] < 0 || targets[b] >= classes)
            {
              g_set_error (error, VT_CAM_ERROR, VT_CAM_ERROR_TARGET, "target class %" G_GINT64_FORMAT
                           " of image %d is out of range: the model has %d classes (0 to %d)", targets[b], b,
                           classes, classes - 1);
              return FALSE;
            }
          k = targets[b];
        }
      targets_out[b] = k;
      dlogits[(gsize) b * classes + k] = 1.0f;
    }

  /* The activations (and gradients) on the grid, kept: Score-CAM's
   * forward passes overwrite the tape. */
  act = g_new (float, per_image * batch);
  for (int b = 0; b < batch; b++)
    if (node->ndim == 3)
      vt_cam_tokens_to_grid (node->value + (gsize) b * node->shape[1] * channels, (int) node->shape[1],
                             channels, prefix, h, w, act + b * per_image);
    else
      memcpy (act + b * per_image, node->value + b * per_image, sizeof (float) * per_image);
  if (gradient)
    {
      g_timer_start (timer);
      if (!vt_trainable_backward (model, "logits", dlogits, error))
        return FALSE;
      backward_s = g_timer_elapsed (timer, NULL);
      grad = g_new (float, per_image * batch);
      for (int b = 0; b < batch; b++)
        if (node->ndim == 3)
          vt_cam_tokens_to_grid (node->grad + (gsize) b * node->shape[1] * channels, (int) node->shape[1],
                                 channels, prefix, h, w, grad + b * per_image);
        else
          memcpy (grad + b * per_image, node->grad + b * per_image, sizeof (float) * per_image);
    }

  cam = g_new (float, (gsize) h * w);
  for (int m = 0; m < n_methods; m++)
    {
      VtCamMethod method = methods_wanted[m];

      seconds[m] = forward_s + (methods[method].gradient ? backward_s : 0);
      if (method == VT_CAM_SCORECAM)
        continue;
      g_timer_start (timer);
      for (int b = 0; b < batch; b++)
        {
          if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
              !vt_cam_raw (method, act + b * per_image, grad ? grad + b * per_image : NULL, channels, h, w, cam,
                           error))
            return FALSE;
          vt_cam_postprocess (cam, h, w, height, width, maps[m] + b * plane);
        }
      seconds[m] += g_timer_elapsed (timer, NULL);
    }

  if (score)
    {
      int chunk = MAX (1, MIN (score_batch, channels));
      g_autofree float *masked = g_new (float, (gsize) chunk * 3 * plane);
      g_autofree float *scores = g_new (float, channels);
      int m = 0;

      while (methods_wanted[m] != VT_CAM_SCORECAM)
        m++;
      g_timer_start (timer);
      for (int b = 0; b < batch; b++)
        {
          for (int first = 0; first < channels; first += chunk)
            {
              int n = MIN (chunk, channels - first);

              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                return FALSE;
              vt_cam_score_inputs (pixels + (gsize) b * 3 * plane, act + b * per_image, h, w, first, n, height,
                                   width, masked);
              if (!vt_trainable_forward (model, masked, n, height, width, error))
                return FALSE;
              logits = vt_trainable_lookup_tap (model, "logits");
              for (int i = 0; i < n; i++)
                scores[first + i] = logits->value[(gsize) i * classes + targets_out[b]];
            }
          vt_cam_score_combine (act + b * per_image, scores, channels, h, w, cam);
          vt_cam_postprocess (cam, h, w, height, width, maps[m] + b * plane);
        }
      seconds[m] += g_timer_elapsed (timer, NULL);
    }
  return TRUE;
}
