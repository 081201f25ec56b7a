/* fuzz-images.c: libFuzzer harness for the image decoders (JPEG, PNG, BMP;
 * the signature picks one).
 *
 * Any bytes go in as a whole file. A decoded image is read in full, so
 * AddressSanitizer catches a short buffer; a failure must name the input.
 * Nothing may crash, leak, trip UBSan, or allocate past the pixel limit. */
#include <stdint.h>

#include "io/vt-image.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtImage) image = vt_image_decode (data, size, "fuzz-input", &error);
  guint sum = 0;

  if (image == NULL)
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz-input: "));
      return 0;
    }
  g_assert (image->width > 0 && image->height > 0);
  g_assert ((guint64) image->width * image->height <= VT_IMAGE_MAX_PIXELS);
  for (gsize i = 0; i < (gsize) image->width * image->height * 3; i++)
    sum += image->rgb[i];
  return sum == G_MAXUINT;   /* keeps the reads */
}
