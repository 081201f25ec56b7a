/* bench-attention.c: what the Attention area asks of the engine, on
 * ViT-B/16 at 224×224 (random weights, timm's layout).
 *
 *   bench-attention DIR REPEATS
 *
 * Writes DIR/vit_b16.safetensors (timm's tensor names, seeded random
 * weights) unless it is there, so that attention_torch.py runs the same
 * model; then, with medians over REPEATS:
 *   forward_ms   one image through the model, every layer's attention kept
 *   switch_ms    a switch of layer or head: the class token's map of that
 *                head enlarged to 224×224, and the 12 × 12 grid of every
 *                layer's and head's class map, each enlarged to its 56×56 cell
 *   rollout_ms   rollout over the 12 layers (mean fusion), with no discard
 *                and with 0.9 discarded
 *   kept_mb      the attention probabilities kept (12 × 12 × 197²
 *                floats) and the maps at the grid and at 224×224
 *   peak_rss_mb  the process's peak
 * as one JSON line, each time also as the fastest repetition's ("_fastest_ms":
 * on a shared machine the other tenants slow some repetitions, rarely all).
 * A benchmark, not a test: it never fails on time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "io/vt-safetensors.h"
#include "methods/attribution/vt-attention-maps.h"
#include "models/vt-model.h"
#include "nn/vt-gemm.h"

#define WIDTH 768
#define DEPTH 12
#define HEADS 12
#define PATCH 16
#define SIZE 224
#define GRID (SIZE / PATCH)
#define TOKENS (1 + GRID * GRID)
#define CELL 56

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *values,
        int     n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return values[n / 2];
}

/* After median (): sorted. */
static double
fastest (const double *values)
{
  return values[0];
}

/* timm's vit_base_patch16_224 names and shapes; N(0, 1) / √fan_in weights,
 * LayerNorm affines near 1, small biases. */
static gboolean
write_vit_b16 (const char  *path,
               GError     **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) ndims = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) shapes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GRand) rng = g_rand_new_with_seed (16);
  struct { const char *name; guint ndim; gint64 shape[4]; int kind; } fixed[] = {
    { "patch_embed.proj.weight", 4, { WIDTH, 3, PATCH, PATCH }, 0 },
    { "patch_embed.proj.bias", 1, { WIDTH }, 2 },
    { "cls_token", 3, { 1, 1, WIDTH }, 3 },
    { "pos_embed", 3, { 1, TOKENS, WIDTH }, 3 },
    { "norm.weight", 1, { WIDTH }, 1 },
    { "norm.bias", 1, { WIDTH }, 2 },
    { "head.weight", 2, { 1000, WIDTH }, 0 },
    { "head.bias", 1, { 1000 }, 2 },
  };
  struct { const char *name; guint ndim; gint64 shape[2]; int kind; } block[] = {
    { "norm1.weight", 1, { WIDTH }, 1 }, { "norm1.bias", 1, { WIDTH }, 2 },
    { "attn.qkv.weight", 2, { 3 * WIDTH, WIDTH }, 0 }, { "attn.qkv.bias", 1, { 3 * WIDTH }, 2 },
    { "attn.proj.weight", 2, { WIDTH, WIDTH }, 0 }, { "attn.proj.bias", 1, { WIDTH }, 2 },
    { "norm2.weight", 1, { WIDTH }, 1 }, { "norm2.bias", 1, { WIDTH }, 2 },
    { "mlp.fc1.weight", 2, { 4 * WIDTH, WIDTH }, 0 }, { "mlp.fc1.bias", 1, { 4 * WIDTH }, 2 },
    { "mlp.fc2.weight", 2, { WIDTH, 4 * WIDTH }, 0 }, { "mlp.fc2.bias", 1, { WIDTH }, 2 },
  };
  int n_tensors = G_N_ELEMENTS (fixed) + DEPTH * G_N_ELEMENTS (block);

  for (int i = 0; i < n_tensors; i++)
    {
      gboolean is_fixed = i < (int) G_N_ELEMENTS (fixed);
      int b = is_fixed ? 0 : (i - (int) G_N_ELEMENTS (fixed)) / (int) G_N_ELEMENTS (block);
      int j = is_fixed ? i : (i - (int) G_N_ELEMENTS (fixed)) % (int) G_N_ELEMENTS (block);
      guint ndim = is_fixed ? fixed[j].ndim : block[j].ndim;
      gint64 *shape = g_new0 (gint64, 4);
      int kind = is_fixed ? fixed[j].kind : block[j].kind;
      gsize numel = 1;
      float *values;

      for (guint d = 0; d < ndim; d++)
        {
          shape[d] = is_fixed ? fixed[j].shape[d] : block[j].shape[d];
          numel *= shape[d];
        }
      values = g_new (float, numel);
      for (gsize k = 0; k < numel; k++)
        {
          /* Box-Muller from GRand: a seeded Gaussian. */
          double u = g_rand_double_range (rng, 1e-12, 1.0), v = g_rand_double (rng);
          double z = sqrt (-2 * log (u)) * cos (2 * G_PI * v);
          double fan_in = numel / shape[0];

          values[k] = (float) (kind == 0 ? z / sqrt (fan_in) : kind == 1 ? 1 + 0.1 * z : kind == 2 ? 0.1 * z : 0.5 * z);
        }
      g_ptr_array_add (names, is_fixed ? g_strdup (fixed[j].name) : g_strdup_printf ("blocks.%d.%s", b, block[j].name));
      g_array_append_val (ndims, ndim);
      g_ptr_array_add (shapes, shape);
      g_ptr_array_add (data, values);
    }
  return vt_safetensors_write_f32 (path, n_tensors, (const char * const *) names->pdata, (const guint *) ndims->data,
                                   (const gint64 * const *) shapes->pdata, (const float * const *) data->pdata,
                                   NULL, error);
}

static double
peak_rss_mb (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(GRand) rng = g_rand_new_with_seed (5);
  g_autofree char *path = NULL;
  g_autofree float *pixels = g_new (float, 3 * SIZE * SIZE);
  g_autofree float *grid_maps = g_new (float, (gsize) DEPTH * HEADS * GRID * GRID);
  g_autofree float *grid_cells = g_new (float, (gsize) DEPTH * HEADS * CELL * CELL);
  g_autofree float *enlarged = g_new (float, SIZE * SIZE);
  g_autofree float *map = g_new (float, GRID * GRID);
  g_autofree float *rollout = g_new (float, TOKENS * TOKENS);
  g_autofree double *forward = NULL;
  g_autofree double *switches = NULL;
  g_autofree double *plain = NULL;
  g_autofree double *discarded = NULL;
  const float *layers[DEPTH];
  VtTaps *kept = NULL;
  int repeats, switch_count;
  double kept_bytes;

  if (argc != 3)
    {
      g_printerr ("usage: %s DIR REPEATS\n", argv[0]);
      return 2;
    }
  repeats = MAX (atoi (argv[2]), 1);
  switch_count = 10 * repeats;
  path = g_build_filename (argv[1], "vit_b16.safetensors", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !write_vit_b16 (path, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  checkpoint = vt_checkpoint_open (path, &error);
  if (checkpoint)
    model = vt_model_new (checkpoint, &error);
  if (model == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  for (int i = 0; i < 3 * SIZE * SIZE; i++)
    pixels[i] = (float) g_rand_double_range (rng, -2.0, 2.0);

  forward = g_new (double, repeats);
  for (int r = -1; r < repeats; r++)
    {
      gint64 start = g_get_monotonic_time ();
      VtTaps *taps = vt_model_forward (model, pixels, 1, SIZE, SIZE, VT_TAP_ATTENTION, &error);

      if (taps == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      if (r >= 0)
        forward[r] = (g_get_monotonic_time () - start) / 1000.0;
      if (kept)
        vt_taps_free (kept);
      kept = taps;
    }
  for (int l = 0; l < DEPTH; l++)
    {
      g_autofree char *name = g_strdup_printf ("blocks.%d.attn_probs", l);

      layers[l] = vt_taps_lookup (kept, name)->data;
    }

  /* A switch: layer l, head h enlarged; the whole grid redrawn. */
  switches = g_new (double, switch_count);
  for (int s = 0; s < switch_count; s++)
    {
      int l = s % DEPTH, h = (s / DEPTH) % HEADS;
      gint64 start = g_get_monotonic_time ();

      vt_attention_class_map (layers[l] + (gsize) h * TOKENS * TOKENS, TOKENS, 1, map);
      vt_attention_upsample (map, GRID, GRID, SIZE, SIZE, enlarged);
      for (int k = 0; k < DEPTH * HEADS; k++)
        {
          float *cell_map = grid_maps + (gsize) k * GRID * GRID;

          vt_attention_class_map (layers[k / HEADS] + (gsize) (k % HEADS) * TOKENS * TOKENS, TOKENS, 1, cell_map);
          vt_attention_upsample (cell_map, GRID, GRID, CELL, CELL, grid_cells + (gsize) k * CELL * CELL);
        }
      switches[s] = (g_get_monotonic_time () - start) / 1000.0;
    }

  plain = g_new (double, repeats);
  discarded = g_new (double, repeats);
  for (int r = 0; r < repeats; r++)
    for (int d = 0; d < 2; d++)
      {
        VtRolloutOptions options;
        gint64 start;

        vt_rollout_options_init (&options);
        options.discard_ratio = d ? 0.9 : 0.0;
        start = g_get_monotonic_time ();
        if (!vt_attention_rollout (layers, DEPTH, HEADS, TOKENS, &options, rollout, &error))
          {
            g_printerr ("%s\n", error->message);
            return 1;
          }
        (d ? discarded : plain)[r] = (g_get_monotonic_time () - start) / 1000.0;
      }

  kept_bytes = 4.0 * ((double) DEPTH * HEADS * TOKENS * TOKENS + (double) DEPTH * HEADS * (GRID * GRID + SIZE * SIZE));
  printf ("{\"forward_ms\": %.2f, \"switch_ms\": %.3f, \"rollout_ms\": %.3f, \"rollout_discard_ms\": %.3f, ",
          median (forward, repeats), median (switches, switch_count), median (plain, repeats),
          median (discarded, repeats));
  printf ("\"forward_fastest_ms\": %.2f, \"switch_fastest_ms\": %.3f, \"rollout_fastest_ms\": %.3f, "
          "\"rollout_discard_fastest_ms\": %.3f, \"kept_mb\": %.1f, \"peak_rss_mb\": %.0f, \"gemm\": \"%s\"}\n",
          fastest (forward), fastest (switches), fastest (plain), fastest (discarded), kept_bytes / 1e6, peak_rss_mb (),
          vt_gemm_uses_avx512 () ? "avx512" : "openblas");
  vt_taps_free (kept);
  return 0;
}
