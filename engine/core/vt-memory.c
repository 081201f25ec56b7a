/* vt-memory.c: the memory budget and the refusal of what exceeds it. */
#include "vt-memory.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (vt-memory-error-quark, vt_memory_error)

/* "16G", "512M", "1000000": bytes, or 0 when the text is not a size. */
static double
parse_size (const char *text)
{
  char *end = NULL;
  guint64 value;
  double scale = 1.0;

  if (text == NULL || !g_ascii_isdigit (*text))
    return 0.0;
  value = g_ascii_strtoull (text, &end, 10);
  switch (g_ascii_toupper (*end))
    {
    case 'K': scale = 1024.0; end++; break;
    case 'M': scale = 1024.0 * 1024; end++; break;
    case 'G': scale = 1024.0 * 1024 * 1024; end++; break;
    case 'T': scale = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
  if (*end == 'B' || *end == 'b')
    end++;
  while (g_ascii_isspace (*end))
    end++;
  return *end == '\0' ? (double) value * scale : 0.0;
}

double
vt_memory_budget (const char **source)
{
  long pages = sysconf (_SC_PHYS_PAGES);
  long page_size = sysconf (_SC_PAGESIZE);
  double budget = pages > 0 && page_size > 0 ? (double) pages * page_size : 0.0;
  const char *from = "physical memory";
  g_autofree char *cgroup = NULL;
  double limit;

  /* sysconf failing is unheard of on Linux; /proc/meminfo says the same. */
  if (budget <= 0)
    {
      g_autofree char *meminfo = NULL;
      const char *line;

      if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL) &&
          (line = strstr (meminfo, "MemTotal:")) != NULL)
        budget = g_ascii_strtod (line + strlen ("MemTotal:"), NULL) * 1024.0;
    }
  /* A container's limit ("max" when there is none) is what it really has. */
  if (g_file_get_contents ("/sys/fs/cgroup/memory.max", &cgroup, NULL, NULL) &&
      (limit = parse_size (g_strstrip (cgroup))) > 0 && (budget <= 0 || limit < budget))
    {
      budget = limit;
      from = "cgroup memory.max";
    }
  if ((limit = parse_size (g_getenv ("VITRINE_MEMORY_LIMIT"))) > 0 && (budget <= 0 || limit < budget))
    {
      budget = limit;
      from = "VITRINE_MEMORY_LIMIT";
    }
  if (source)
    *source = from;
  /* Nothing readable: no refusals rather than refusing everything. */
  return budget > 0 ? budget : INFINITY;
}

char *
vt_memory_format (double bytes)
{
  if (!(bytes < (double) G_MAXUINT64))
    return g_strdup ("more than 18 EB");
  g_autofree char *text = g_format_size ((guint64) MAX (bytes, 0.0));
  g_autoptr(GString) plain = g_string_new (text);

  /* GLib puts a no-break space before the unit; messages go to terminals
   * and logs, where a plain one reads (and greps) better. */
  g_string_replace (plain, "\u00a0", " ", 0);
  return g_string_free (g_steal_pointer (&plain), FALSE);
}

static void
part_clear (gpointer data)
{
  g_free (((VtMemoryPart *) data)->what);
}

void
vt_memory_estimate_init (VtMemoryEstimate *estimate)
{
  estimate->bytes = 0.0;
  estimate->parts = g_array_new (FALSE, FALSE, sizeof (VtMemoryPart));
  g_array_set_clear_func (estimate->parts, part_clear);
}

void
vt_memory_estimate_clear (VtMemoryEstimate *estimate)
{
  g_clear_pointer (&estimate->parts, g_array_unref);
}

void
vt_memory_estimate_add (VtMemoryEstimate *estimate,
                        const char       *what,
                        double            bytes)
{
  VtMemoryPart part = { g_strdup (what), bytes };

  estimate->bytes += bytes;
  g_array_append_val (estimate->parts, part);
}

gboolean
vt_memory_check (const VtMemoryEstimate *estimate,
                 const char             *what,
                 const char             *advice,
                 GError                **error)
{
  const char *source = NULL;
  double budget = vt_memory_budget (&source);
  g_autofree char *need = NULL;
  g_autofree char *have = NULL;
  g_autoptr(GString) parts = g_string_new (NULL);

  if (estimate->bytes <= budget)
    return TRUE;
  /* Small parts would only bury the one to lower. */
  for (guint i = 0; i < estimate->parts->len; i++)
    {
      const VtMemoryPart *part = &g_array_index (estimate->parts, VtMemoryPart, i);
      g_autofree char *size = NULL;

      if (part->bytes < estimate->bytes / 20)
        continue;
      size = vt_memory_format (part->bytes);
      g_string_append_printf (parts, "%s%s: %s", parts->len ? "; " : "", part->what, size);
    }
  need = vt_memory_format (estimate->bytes);
  have = vt_memory_format (budget);
  g_set_error (error, VT_MEMORY_ERROR, VT_MEMORY_ERROR_TOO_LARGE,
               "%s would need about %s of memory (%s), but this machine has %s (%s). %s",
               what, need, parts->str, have, source, advice);
  return FALSE;
}

gpointer
vt_memory_try_alloc (gsize        n,
                     gsize        size,
                     const char  *what,
                     GError     **error)
{
  gpointer p;

  if (size > 0 && n > G_MAXSIZE / size)
    p = NULL;
  else if ((p = g_try_malloc (MAX (n * size, 1))) != NULL)
    return p;
  {
    g_autofree char *amount = vt_memory_format ((double) n * size);
    g_set_error (error, VT_MEMORY_ERROR, VT_MEMORY_ERROR_TOO_LARGE,
                 "cannot allocate %s for %s: there is not that much memory free", amount, what);
  }
  return NULL;
}
