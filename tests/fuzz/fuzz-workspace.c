/* fuzz-workspace.c: libFuzzer harness for the `.vitrine` workspace file
 * (vt-workspace-file.c).
 *
 * The input is the workspace file. One that loads has absolute paths only,
 * and writes back to text that loads again to the same paths; one that does
 * not must say why, naming the file. Nothing may crash, leak, trip UBSan or
 * warn. */
#include "fuzz-util.h"

#include "io/vt-workspace-file.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *path = fuzz_write_file ("w.vitrine", data, size);
  g_autofree char *again = g_build_filename (fuzz_temp_dir (), "again.vitrine", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtWorkspaceFile) file = vt_workspace_file_load (path, &error);
  g_autoptr(VtWorkspaceFile) back = NULL;

  if (file == NULL)
    {
      g_assert (fuzz_error_names (error, path));
      return 0;
    }
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    for (guint i = 0; i < file->entries[k]->len; i++)
      g_assert (g_path_is_absolute (((VtWorkspaceEntry *) g_ptr_array_index (file->entries[k], i))->path));

  /* What was read writes back (it came from JSON text, so it is UTF-8) and
   * reads back as the same paths. */
  if (!vt_workspace_file_save (file, again, &error))
    g_error ("%s", error->message);
  back = vt_workspace_file_load (again, &error);
  g_assert (back != NULL);
  for (guint k = 0; k < VT_WORKSPACE_N_KINDS; k++)
    {
      g_assert (back->entries[k]->len == file->entries[k]->len);
      for (guint i = 0; i < file->entries[k]->len; i++)
        g_assert (g_str_equal (((VtWorkspaceEntry *) g_ptr_array_index (back->entries[k], i))->path,
                               ((VtWorkspaceEntry *) g_ptr_array_index (file->entries[k], i))->path));
    }
  return 0;
}
