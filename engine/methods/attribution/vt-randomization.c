/* vt-randomization.c: the model randomization sanity check (see the header). */
#include "vt-randomization.h"

#include "core/vt-random.h"

#include <math.h>
#include <string.h>

/* timm's trunc_normal_(std=.02) for a parameter no torch.nn layer owns: its
 * bounds ±2 are 100 standard deviations out, so it is N(0, 0.02²). */
#define OTHER_STD 0.02

void
vt_randomization_options_init (VtRandomizationOptions *options)
{
  memset (options, 0, sizeof *options);
  options->order = VT_RANDOMIZATION_CASCADING;
}

const char *
vt_randomization_order_name (VtRandomizationOrder order)
{
  return order == VT_RANDOMIZATION_CASCADING ? "cascading" : "independent";
}

/* A block's name from one of its parameters: the name up to its first
 * all-digit component ("layer3.2.conv1.weight" -> "layer3.2",
 * "visual.transformer.resblocks.11.ln_1.weight" -> "…resblocks.11"). */
static char *
block_name (const char *param,
            int         block)
{
  const char *p = param;

  while (*p)
    {
      const char *end = strchr (p, '.');
      gsize length = end ? (gsize) (end - p) : strlen (p);
      gboolean digits = length > 0;

      for (gsize i = 0; i < length; i++)
        digits &= g_ascii_isdigit (p[i]);
      if (digits && p != param)
        return g_strndup (param, (p - param) + length);
      if (end == NULL)
        break;
      p = end + 1;
    }
  return g_strdup_printf ("block %d", block);
}

/* The layer parameter @index belongs to (g_free). */
static char *
layer_of (VtTrainable *model,
          guint        index)
{
  int block = vt_trainable_get_param_block (model, index);

  if (block < 0)
    return g_strdup ("stem");
  if (block >= vt_trainable_get_n_blocks (model))
    return g_strdup ("head");
  return block_name (vt_trainable_get_param (model, index)->name, block);
}

GStrv
vt_randomization_layers (VtTrainable *model)
{
  int n_blocks = vt_trainable_get_n_blocks (model);
  guint n = vt_trainable_get_n_params (model);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  /* Top first: the head, the blocks from the last, the stem. */
  for (int block = n_blocks; block >= -1; block--)
    for (guint i = 0; i < n; i++)
      if (vt_trainable_get_param_block (model, i) == block)
        {
          g_autofree char *name = layer_of (model, i);

          g_strv_builder_add (builder, name);
          break;
        }
  return g_strv_builder_end (builder);
}

/* The fan_in of a weight: its elements per output channel (torch's
 * _calculate_fan_in_and_fan_out for a Linear or a ConvNd). */
static double
fan_in (const VtTrainableParam *weight)
{
  return (double) weight->numel / (double) weight->shape[0];
}

/* The weight a bias belongs to ("qkv.bias" -> "qkv.weight",
 * "attn.in_proj_bias" -> "attn.in_proj_weight"), if it is one of a layer. */
static const VtTrainableParam *
weight_of_bias (VtTrainable *model,
                const char  *bias)
{
  g_autofree char *name = NULL;
  const VtTrainableParam *weight;

  if (!g_str_has_suffix (bias, "bias"))
    return NULL;
  name = g_strdup_printf ("%.*sweight", (int) (strlen (bias) - 4), bias);
  weight = vt_trainable_lookup_param (model, name);
  return weight && weight->ndim >= 2 ? weight : NULL;
}

static void
fill_uniform (float    *value,
              gsize     n,
              double    bound,
              VtRandom *random)
{
  for (gsize k = 0; k < n; k++)
    value[k] = (float) (-bound + 2 * bound * vt_random_double (random));
}

/* Parameter @index as PyTorch initializes a fresh layer of its type. */
static void
reinit_param (VtTrainable *model,
              guint        index,
              VtRandom    *random)
{
  const VtTrainableParam *p = vt_trainable_get_param (model, index);
  const VtTrainableParam *weight;

  /* A copy of its own first: the checkpoint's memory stays as it is. */
  vt_trainable_train_param (model, p->name);
  p = vt_trainable_get_param (model, index);
  if (vt_trainable_param_is_norm (model, index))
    {
      float fill = g_str_has_suffix (p->name, "bias") ? 0.0f : 1.0f;

      for (gsize k = 0; k < p->numel; k++)
        p->value[k] = fill;
    }
  else if (g_str_has_suffix (p->name, "weight") && p->ndim >= 2)
    fill_uniform (p->value, p->numel, 1.0 / sqrt (fan_in (p)), random);
  else if ((weight = weight_of_bias (model, p->name)) != NULL)
    fill_uniform (p->value, p->numel, 1.0 / sqrt (fan_in (weight)), random);
  else
    for (gsize k = 0; k < p->numel; k++)
      p->value[k] = (float) (OTHER_STD * vt_random_gauss (random));
}

gboolean
vt_randomization_reinit (VtTrainable  *model,
                         const char   *layer,
                         guint32       seed,
                         GError      **error)
{
  g_auto(GStrv) layers = vt_randomization_layers (model);
  guint position = 0, n = vt_trainable_get_n_params (model);
  VtRandom random;

  while (layers[position] && !g_str_equal (layers[position], layer))
    position++;
  if (layers[position] == NULL)
    {
      g_autofree char *known = g_strjoinv (", ", layers);

      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                   "no layer “%s” to randomize; the model's layers, top first: %s", layer, known);
      return FALSE;
    }
  vt_random_init (&random, seed + position);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = layer_of (model, i);

      if (g_str_equal (name, layer))
        reinit_param (model, i, &random);
    }
  return TRUE;
}

void
vt_randomization_restore (VtTrainable *model)
{
  vt_trainable_set_part (model, VT_TRAIN_NONE, 0);
}

/* --- Spearman's ρ ------------------------------------------------------ */

typedef struct
{
  const float *values;
  gboolean     absolute;
} RankOrder;

static double
value_at (const RankOrder *order,
          guint            i)
{
  return order->absolute ? fabs ((double) order->values[i]) : order->values[i];
}

static int
compare_indices (gconstpointer a,
                 gconstpointer b,
                 gpointer      data)
{
  double x = value_at (data, *(const guint *) a), y = value_at (data, *(const guint *) b);

  return x < y ? -1 : x > y ? 1 : 0;
}

/* ranks (n): scipy.stats.rankdata(method="average"), 1-based. */
static void
average_ranks (const float *values,
               gsize        n,
               gboolean     absolute,
               guint       *index,
               double      *ranks)
{
  RankOrder order = { values, absolute };

  for (gsize i = 0; i < n; i++)
    index[i] = (guint) i;
  g_qsort_with_data (index, (int) n, sizeof (guint), compare_indices, &order);
  for (gsize i = 0; i < n;)
    {
      gsize j = i + 1;

      while (j < n && value_at (&order, index[j]) == value_at (&order, index[i]))
        j++;
      /* ranks i + 1 … j share their mean */
      for (gsize k = i; k < j; k++)
        ranks[index[k]] = (i + 1 + j) / 2.0;
      i = j;
    }
}

double
vt_randomization_spearman (const float *a,
                           const float *b,
                           gsize        n,
                           gboolean     absolute)
{
  g_autofree guint *index = g_new (guint, MAX (n, 1));
  g_autofree double *ra = g_new (double, MAX (n, 1));
  g_autofree double *rb = g_new (double, MAX (n, 1));
  double mean = (n + 1) / 2.0, sab = 0, saa = 0, sbb = 0;

  average_ranks (a, n, absolute, index, ra);
  average_ranks (b, n, absolute, index, rb);
  for (gsize i = 0; i < n; i++)
    {
      double da = ra[i] - mean, db = rb[i] - mean;

      sab += da * db;
      saa += da * da;
      sbb += db * db;
    }
  if (saa == 0 || sbb == 0)
    return NAN;
  return sab / sqrt (saa * sbb);
}

/* --- SSIM -------------------------------------------------------------- */

#define SSIM_WINDOW 7

/* x (n) min–max scaled to [0, 1] in double; FALSE if it is constant. */
static gboolean
scaled (const float *x,
        gsize        n,
        double      *out)
{
  float lo = x[0], hi = x[0];

  for (gsize i = 1; i < n; i++)
    {
      lo = MIN (lo, x[i]);
      hi = MAX (hi, x[i]);
    }
  if (!(hi > lo))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    out[i] = ((double) x[i] - lo) / ((double) hi - lo);
  return TRUE;
}

double
vt_randomization_ssim (const float *a,
                       const float *b,
                       int          height,
                       int          width)
{
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;  /* (K · data_range)², data_range 1 */
  const double np = SSIM_WINDOW * SSIM_WINDOW, cov_norm = np / (np - 1);
  const int pad = SSIM_WINDOW / 2;
  gsize n = (gsize) height * width;
  g_autofree double *x = g_new (double, MAX (n, 1));
  g_autofree double *y = g_new (double, MAX (n, 1));
  double total = 0;
  int counted = 0;

  if (height < SSIM_WINDOW || width < SSIM_WINDOW || !scaled (a, n, x) || !scaled (b, n, y))
    return NAN;
  /* Only the pixels whose window lies inside the map count, so no border
   * rule enters (scikit-image filters with mode "reflect", then crops). */
  for (int i = pad; i < height - pad; i++)
    for (int j = pad; j < width - pad; j++)
      {
        double ux = 0, uy = 0, uxx = 0, uyy = 0, uxy = 0, vx, vy, vxy;

        for (int di = -pad; di <= pad; di++)
          for (int dj = -pad; dj <= pad; dj++)
            {
              gsize k = (gsize) (i + di) * width + (j + dj);

              ux += x[k];
              uy += y[k];
              uxx += x[k] * x[k];
              uyy += y[k] * y[k];
              uxy += x[k] * y[k];
            }
        ux /= np;
        uy /= np;
        uxx /= np;
        uyy /= np;
        uxy /= np;
        vx = cov_norm * (uxx - ux * ux);
        vy = cov_norm * (uyy - uy * uy);
        vxy = cov_norm * (uxy - ux * uy);
        total += (2 * ux * uy + c1) * (2 * vxy + c2) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        counted++;
      }
  return total / counted;
}

/* --- The check --------------------------------------------------------- */

/* The layers options->layers names, top first, or every one. */
static GStrv
chosen_layers (VtTrainable                  *model,
               const VtRandomizationOptions *options,
               GError                      **error)
{
  g_auto(GStrv) all = vt_randomization_layers (model);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (options->layers == NULL)
    return g_steal_pointer (&all);
  for (guint i = 0; options->layers[i]; i++)
    if (!g_strv_contains ((const char * const *) all, options->layers[i]))
      {
        g_autofree char *known = g_strjoinv (", ", all);

        g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID,
                     "layers[%u]: no layer “%s” to randomize; the model's layers, top first: %s", i,
                     options->layers[i], known);
        return NULL;
      }
  for (guint i = 0; all[i]; i++)
    if (g_strv_contains (options->layers, all[i]))
      g_strv_builder_add (builder, all[i]);
  return g_strv_builder_end (builder);
}

void
vt_randomization_result_free (VtRandomizationResult *result)
{
  if (result == NULL)
    return;
  g_strfreev (result->layers);
  for (int k = 0; k < VT_RANDOMIZATION_N_MEASURES; k++)
    g_free (result->measures[k]);
  for (int i = 0; result->maps && i < result->n_steps * result->n_methods; i++)
    g_free (result->maps[i]);
  g_free (result->maps);
  g_free (result);
}

static VtRandomizationResult *
run (VtTrainable                  *model,
     const VtRandomizationOptions *options,
     const float * const          *original,
     int                           n_methods,
     int                           n_images,
     int                           height,
     int                           width,
     VtRandomizationMaps           compute,
     gpointer                      user_data,
     GCancellable                 *cancellable,
     GError                      **error)
{
  g_autoptr(VtRandomizationResult) result = g_new0 (VtRandomizationResult, 1);
  g_autoptr(GPtrArray) maps = g_ptr_array_new_with_free_func (g_free);
  gsize plane = (gsize) height * width, per_method;

  result->order = options->order;
  if (!(result->layers = chosen_layers (model, options, error)))
    return NULL;
  result->n_steps = (int) g_strv_length (result->layers);
  result->n_methods = n_methods;
  result->n_images = n_images;
  if (result->n_steps == 0)
    {
      g_set_error (error, VT_FAITHFULNESS_ERROR, VT_FAITHFULNESS_ERROR_INVALID, "layers: no layer to randomize");
      return NULL;
    }
  per_method = (gsize) result->n_steps * n_images;
  for (int k = 0; k < VT_RANDOMIZATION_N_MEASURES; k++)
    result->measures[k] = g_new (double, per_method * n_methods);
  for (int m = 0; m < n_methods; m++)
    g_ptr_array_add (maps, g_new (float, plane * n_images));
  if (options->keep_maps)
    result->maps = g_new0 (float *, (gsize) result->n_steps * n_methods);

  for (int s = 0; s < result->n_steps; s++)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      /* Independent: only this step's layer differs from the checkpoint. */
      if (options->order == VT_RANDOMIZATION_INDEPENDENT)
        vt_randomization_restore (model);
      if (!vt_randomization_reinit (model, result->layers[s], options->seed, error) ||
          !compute (model, (float * const *) maps->pdata, user_data, cancellable, error))
        return NULL;
      for (int m = 0; m < n_methods; m++)
        for (int b = 0; b < n_images; b++)
          {
            const float *before = original[m] + (gsize) b * plane;
            const float *after = (const float *) g_ptr_array_index (maps, m) + (gsize) b * plane;
            gsize at = ((gsize) m * result->n_steps + s) * n_images + b;

            result->measures[VT_RANDOMIZATION_SPEARMAN][at] = vt_randomization_spearman (before, after, plane, FALSE);
            result->measures[VT_RANDOMIZATION_SPEARMAN_ABS][at] = vt_randomization_spearman (before, after, plane,
                                                                                           TRUE);
            result->measures[VT_RANDOMIZATION_SSIM][at] = vt_randomization_ssim (before, after, height, width);
          }
      for (int m = 0; result->maps && m < n_methods; m++)
        result->maps[s * n_methods + m] = g_memdup2 (g_ptr_array_index (maps, m), sizeof (float) * plane * n_images);
    }
  return g_steal_pointer (&result);
}

VtRandomizationResult *
vt_randomization_run (VtTrainable                  *model,
                      const VtRandomizationOptions *options,
                      const float * const          *original,
                      int                           n_methods,
                      int                           n_images,
                      int                           height,
                      int                           width,
                      VtRandomizationMaps           compute,
                      gpointer                      user_data,
                      GCancellable                 *cancellable,
                      GError                      **error)
{
  VtRandomizationResult *result;

  g_return_val_if_fail (n_methods > 0 && n_images > 0, NULL);
  result = run (model, options, original, n_methods, n_images, height, width, compute, user_data, cancellable,
                error);
  vt_randomization_restore (model);
  return result;
}

VtFaithfulnessCurve *
vt_randomization_curve (const VtRandomizationResult *result,
                        int                          method,
                        VtRandomizationMeasure       measure,
                        char                        *definition)
{
  int n_steps = result->n_steps, n_images = result->n_images;
  const double *rho = result->measures[measure] + (gsize) method * n_steps * n_images;
  VtFaithfulnessCurve *curve = vt_faithfulness_curve_new (n_images, n_steps, definition);
  g_autofree int *counted = g_new0 (int, n_steps);

  /* A NaN (a constant map) counts nowhere: not in its step's mean, not in
   * its image's. */
  for (int s = 0; s < n_steps; s++)
    curve->x[s] = s + 1;
  for (int b = 0; b < n_images; b++)
    {
      double sum = 0;
      int n = 0;

      for (int s = 0; s < n_steps; s++)
        {
          double v = rho[(gsize) s * n_images + b];

          curve->values[(gsize) b * n_steps + s] = v;
          if (isnan (v))
            continue;
          curve->mean[s] += v;
          counted[s]++;
          sum += v;
          n++;
        }
      curve->summary[b] = n ? sum / n : NAN;
      if (n)
        {
          curve->mean_summary += curve->summary[b];
          curve->n_counted++;
        }
    }
  for (int s = 0; s < n_steps; s++)
    curve->mean[s] = counted[s] ? curve->mean[s] / counted[s] : NAN;
  curve->mean_summary = curve->n_counted ? curve->mean_summary / curve->n_counted : NAN;
  return curve;
}

char *
vt_randomization_definition (const VtRandomizationResult *result,
                             guint32                      seed,
                             VtRandomizationMeasure       measure)
{
  g_autofree char *layers = g_strjoinv (", ", result->layers);
  const char *what = measure == VT_RANDOMIZATION_SSIM
    ? "SSIM (scikit-image's structural_similarity: data_range 1, 7×7 uniform window, K1 0.01, K2 0.03, sample "
      "covariance, mean over the pixels 3 or more from the border) of the maps min–max scaled to [0, 1]"
    : measure == VT_RANDOMIZATION_SPEARMAN_ABS
    ? "Spearman's rank correlation (ties averaged, as scipy.stats.spearmanr) of the maps' absolute values"
    : "Spearman's rank correlation (ties averaged, as scipy.stats.spearmanr) of the maps";

  return g_strdup_printf ("model randomization (Adebayo et al. 2018), %s: step s %s, then the maps are recomputed "
                          "for the classes explained on the trained model; %s, with the trained model's, per image; a constant map is "
                          "NaN and left out of the means; an image's value is its mean over the steps. Layers, top "
                          "first: %s. Re-initialization as PyTorch's defaults (conv and linear: kaiming_uniform_ "
                          "a=√5 and bias U(±1/√fan_in); norms: scale 1, shift 0; other parameters N(0, 0.02²); "
                          "BatchNorm's running statistics kept), numpy RandomState seed %u + the layer's position "
                          "(head 0)",
                          vt_randomization_order_name (result->order),
                          result->order == VT_RANDOMIZATION_CASCADING ? "re-initializes the first s layers (listed at the end)"
                                                                       : "re-initializes layer s alone",
                          what, layers, seed);
}
