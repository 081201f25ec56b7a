/* fuzz-safetensors.c: libFuzzer harness for the safetensors parser.
 *
 * Any bytes go in as a whole file. Whatever parses is then read in full
 * (statistics touch every element), so AddressSanitizer catches a view that
 * reaches outside the input. Nothing may crash, leak or trip UBSan. */
#include <stdint.h>

#include "core/vt-stats.h"
#include "io/vt-safetensors.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GError) error = NULL;

  if (!vt_safetensors_parse (data, size, "fuzz-input", &tensors, &metadata, &error))
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz-input: "));
      return 0;
    }
  for (guint i = 0; i < tensors->len; i++)
    {
      const VtTensor *tensor = g_ptr_array_index (tensors, i);
      VtTensorStats stats;

      g_assert (tensor->data + tensor->nbytes <= data + size);
      vt_tensor_stats_compute (tensor, 8, &stats);
      vt_tensor_stats_clear (&stats);
    }
  return 0;
}
