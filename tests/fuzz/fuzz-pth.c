/* fuzz-pth.c: libFuzzer harness for PyTorch checkpoints: the restricted
 * unpickler, the zip directory reader and the legacy format.
 *
 * Any bytes go in twice: as a bare pickle, and as a whole .pth file. What
 * parses is then read in full (statistics touch every element), so
 * AddressSanitizer catches a view that reaches outside the input or its
 * copies. Every failure names the input. Nothing may crash, leak, run long
 * or trip UBSan. */
#include <stdint.h>

#include "core/vt-stats.h"
#include "io/vt-pickle.h"
#include "io/vt-pth.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
inside (const VtTensor *tensor,
        const uint8_t  *data,
        size_t          size,
        GPtrArray      *buffers)
{
  if (tensor->data >= data && tensor->data + tensor->nbytes <= data + size)
    return TRUE;
  for (guint i = 0; i < buffers->len; i++)
    {
      gsize n;
      const guint8 *copy = g_bytes_get_data (g_ptr_array_index (buffers, i), &n);
      if (tensor->data == copy && tensor->nbytes == n)
        return TRUE;
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GPtrArray) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GPtrArray) buffers = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(VtPickle) pickle = vt_pickle_load (data, size, 0, "fuzz-input", NULL, &error);

    if (pickle == NULL)
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz-input: "));
    else
      g_free (vt_pickle_value_describe (vt_pickle_get_root (pickle)));
    g_clear_error (&error);
  }

  if (!vt_pth_parse (data, size, "fuzz-input", &tensors, &metadata, &buffers, &error))
    {
      g_assert (error != NULL && g_str_has_prefix (error->message, "fuzz-input: "));
      return 0;
    }
  for (guint i = 0; i < tensors->len; i++)
    {
      const VtTensor *tensor = g_ptr_array_index (tensors, i);
      VtTensorStats stats;

      g_assert (tensor->nbytes == 0 || inside (tensor, data, size, buffers));
      vt_tensor_stats_compute (tensor, 8, &stats);
      vt_tensor_stats_clear (&stats);
    }
  return 0;
}
