/* vt-file-format.c: see vt-file-format.h. */
#include "vt-file-format.h"

#include <string.h>

#define TORCH_TO_SAFETENSORS \
  "convert it with safetensors.torch.save_file (torch.load (FILE, map_location=\"cpu\"), \"model.safetensors\") " \
  "(take the \"state_dict\" entry where the file holds one)"

typedef struct
{
  gsize        offset;
  const char  *magic;
  gsize        length;
  const char  *what;
  const char  *convert;
} Signature;

static const Signature signatures[] = {
  /* torch.save since PyTorch 1.6: a zip archive holding archive/data.pkl. */
  { 0, "PK\x03\x04", 4, "a PyTorch checkpoint (torch.save's zip format), or another zip archive", TORCH_TO_SAFETENSORS },
  /* torch.save's legacy format starts with a pickled magic number:
   * protocol 2, then LONG1 of 10 bytes. */
  { 0, "\x80\x02\x8a\x0a", 4, "a PyTorch checkpoint (torch.save's legacy format)", TORCH_TO_SAFETENSORS },
  { 0, "\x80\x02", 2, "a Python pickle (a PyTorch .pth or .pt file?)", TORCH_TO_SAFETENSORS },
  { 4, "TFL3", 4, "a TensorFlow Lite model", NULL },
  { 0, "\x89HDF\r\n\x1a\n", 8, "an HDF5 file (Keras weights?)", NULL },
  { 0, "GGUF", 4, "a GGUF model (llama.cpp)", NULL },
  { 0, "\x93NUMPY", 6, "a NumPy array (.npy)", NULL },
  { 0, "\xff\xd8\xff", 3, "a JPEG image", NULL },
  { 0, "\x89PNG\r\n\x1a\n", 8, "a PNG image", NULL },
  { 0, "\x1f\x8b", 2, "a gzip-compressed file", NULL },
};

const char *
vt_file_format_describe (const guint8  *data,
                         gsize          size,
                         const char   **convert)
{
  for (gsize i = 0; i < G_N_ELEMENTS (signatures); i++)
    {
      const Signature *s = &signatures[i];

      if (size >= s->offset + s->length && memcmp (data + s->offset, s->magic, s->length) == 0)
        {
          if (convert != NULL)
            *convert = s->convert;
          return s->what;
        }
    }
  if (convert != NULL)
    *convert = NULL;
  return NULL;
}
