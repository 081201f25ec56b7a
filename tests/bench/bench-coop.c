/* bench-coop.c: a CoOp round timed (tests/bench/coop.sh runs the same loop
 * in PyTorch, coop_torch.py, on the same files).
 *
 *   bench-coop CHECKPOINT VOCAB DATA STEPS N_CTX
 *
 * CHECKPOINT: an OpenCLIP checkpoint; VOCAB: CLIP's BPE merges; DATA:
 * "features" (N, E) and "labels" (N) over the 10 CIFAR-10 classes. Trains
 * CoOp's shared context (N_CTX vectors) for STEPS SGD steps, each on all N
 * features (lr 0.002 on a cosine schedule, momentum 0.9, weight decay
 * 5e-4), and prints one JSON line: the seconds, the first and last loss and
 * the prompts' length after the cut. A benchmark, not a test. */
#include <stdio.h>
#include <stdlib.h>

#include "io/vt-checkpoint.h"
#include "methods/active/vt-coop.h"
#include "models/vt-model.h"

static const char * const classes[] = { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                                        "ship", "truck", NULL };

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = NULL;
  g_autoptr(VtCheckpoint) data = NULL;
  g_autoptr(VtModel) model = NULL;
  g_autoptr(VtTokenizer) tokenizer = NULL;
  g_autoptr(VtCoop) coop = NULL;
  g_autoptr(GArray) losses = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree float *features = NULL;
  g_autofree guint *rows = NULL;
  const VtTensor *labels;
  VtCoopOptions options;
  gint64 start;
  guint n;

  if (argc != 6 || atoi (argv[4]) < 1 || atoi (argv[5]) < 1)
    {
      g_printerr ("usage: %s CHECKPOINT VOCAB DATA STEPS N_CTX\n", argv[0]);
      return 2;
    }
  if (!(checkpoint = vt_checkpoint_open (argv[1], &error)) || !(model = vt_model_new (checkpoint, &error)) ||
      !(tokenizer = vt_tokenizer_new_from_bpe_file (argv[2], &error)) ||
      !(data = vt_checkpoint_open (argv[3], &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  vt_coop_options_init (&options);
  options.n_ctx = (guint) atoi (argv[5]);
  options.epochs = (guint) atoi (argv[4]);
  options.batch = 0;
  if (!(coop = vt_coop_new (model, tokenizer, classes, &options, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  features = vt_tensor_dup_float (vt_checkpoint_lookup (data, "features"));
  labels = vt_checkpoint_lookup (data, "labels");
  n = (guint) labels->shape[0];
  rows = g_new (guint, n);
  for (guint i = 0; i < n; i++)
    rows[i] = i;
  start = g_get_monotonic_time ();
  if (!vt_coop_train (coop, features, rows, (const gint32 *) labels->data, n, losses, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  printf ("{\"seconds\": %.6f, \"first_loss\": %.7g, \"last_loss\": %.7g, \"length\": %u}\n",
          (g_get_monotonic_time () - start) / 1e6, g_array_index (losses, double, 0),
          g_array_index (losses, double, losses->len - 1), vt_coop_get_length (coop));
  return 0;
}
