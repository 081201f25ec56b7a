/* fuzz-config.c: libFuzzer harness for config.json recognition
 * (vt-architecture.c) and the labels.txt beside a checkpoint.
 *
 * The input, cut at FUZZ_SPLIT, is the name of a model, a config.json and a
 * labels.txt. The models are real checkpoints (linked in once): a timm ViT,
 * an OpenAI CLIP, a sharded Hugging Face CLIP, a timm ResNet and a CIFAR
 * ResNet, since what a config may say depends on the family; a name that is
 * none of them picks the first. The config and labels go beside the one
 * named (one checkpoint a run keeps the fuzzer fast). A config that does not
 * load must say so naming its file; one that does must give a sane
 * architecture. */
#include "fuzz-util.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "models/vt-architecture.h"

typedef struct
{
  const char *folder;      /* in the temp folder */
  const char *env;         /* where the files come from */
  const char *from;
  const char *files[3];    /* linked in; the first is what is opened */
} Model;

static const Model models[] = {
  { "timm-vit", "VITRINE_FIXTURES", "arch/timm-vit", { "model.safetensors" } },
  { "openai-clip", "VITRINE_FIXTURES", "arch", { "openai-clip.safetensors" } },
  { "hf-clip", "VITRINE_FIXTURES", "arch/hf-clip",
    { "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors" } },
  { "resnet", "VITRINE_SHARED_ASSETS", "reference/timm", { "resnet_basic.safetensors" } },
  { "cifar-resnet", "VITRINE_SHARED_ASSETS", "models/cifar-resnet", { "resnet20-12fca82f.safetensors" } },
};

static void
link_models (void)
{
  static gboolean done;

  if (done)
    return;
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    {
      g_autofree char *folder = g_build_filename (fuzz_temp_dir (), models[m].folder, NULL);

      g_mkdir (folder, 0700);
      for (guint f = 0; f < G_N_ELEMENTS (models[m].files) && models[m].files[f]; f++)
        {
          g_autofree char *target = g_build_filename (fuzz_getenv (models[m].env), models[m].from,
                                                      models[m].files[f], NULL);
          g_autofree char *link = g_build_filename (folder, models[m].files[f], NULL);

          if (!g_file_test (target, G_FILE_TEST_IS_REGULAR) || symlink (target, link) != 0)
            g_error ("cannot link %s to %s", link, target);
        }
    }
  done = TRUE;
}

static guint
recognize (const Model *model)
{
  g_autofree char *path = g_build_filename (fuzz_temp_dir (), model->folder, model->files[0], NULL);
  g_autofree char *config = g_build_filename (fuzz_temp_dir (), model->folder, "config.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) checkpoint = vt_checkpoint_open (path, &error);
  g_autoptr(VtArchitecture) arch = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  guint length = 0;

  if (checkpoint == NULL)
    {
      g_assert (fuzz_error_names (error, config));
      return 0;
    }
  arch = vt_architecture_recognize (checkpoint);
  g_assert (arch->family_name != NULL && arch->normalization != NULL);
  /* resize_size 0 (a crop_pct above the image size) is issue 16's item 9,
   * crop_pct's range, not checked here. */
  g_assert (arch->resize_size >= 0 && arch->image_size > 0);
  for (int c = 0; c < 3; c++)
    g_assert (isfinite (arch->mean[c]) && isfinite (arch->std[c]) && arch->std[c] > 0);
  for (guint i = 0; arch->class_names && arch->class_names[i]; i++)
    length += (guint) strlen (arch->class_names[i]);
  rows = vt_architecture_describe (arch);
  for (guint i = 0; i < rows->len; i++)
    {
      const VtArchParam *row = g_ptr_array_index (rows, i);
      length += (guint) strlen (row->value);
    }
  return length;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *parts[3];
  size_t sizes[3];
  const Model *model = &models[0];
  g_autofree char *config = NULL;
  g_autofree char *labels = NULL;

  link_models ();
  fuzz_split (data, size, 3, parts, sizes);
  for (guint m = 0; m < G_N_ELEMENTS (models); m++)
    if (sizes[0] == strlen (models[m].folder) && memcmp (parts[0], models[m].folder, sizes[0]) == 0)
      model = &models[m];
  config = g_strdup_printf ("%s/config.json", model->folder);
  labels = g_strdup_printf ("%s/labels.txt", model->folder);
  g_free (fuzz_write_file (config, parts[1], sizes[1]));
  g_free (fuzz_write_file (labels, parts[2], sizes[2]));
  return recognize (model) == G_MAXUINT;   /* keeps the reads */
}
