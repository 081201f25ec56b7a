/* vt-memory.h: how much memory there is, and refusing what would not fit.
 *
 * A step that would ask for more memory than the machine has is refused
 * before it allocates, with the amount it needs and what to lower, instead
 * of dying in g_malloc. The budget is the machine's physical memory, or
 * less where the process's cgroup (memory.max) or VITRINE_MEMORY_LIMIT
 * (bytes, or with a K, M, G or T suffix in powers of 1024) says so. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_MEMORY_ERROR (vt_memory_error_quark ())
GQuark vt_memory_error_quark (void);

typedef enum
{
  VT_MEMORY_ERROR_TOO_LARGE,   /* more than the machine has */
} VtMemoryError;

/* The bytes a step may use, and in *source (if not NULL) where that figure
 * came from: "physical memory", "cgroup memory.max" or "VITRINE_MEMORY_LIMIT". */
double    vt_memory_budget     (const char  **source);

/* An itemized estimate: its total, and its parts (VtMemoryPart). */
typedef struct
{
  double    bytes;
  GArray   *parts;
} VtMemoryEstimate;

typedef struct
{
  char     *what;
  double    bytes;
} VtMemoryPart;

void      vt_memory_estimate_init   (VtMemoryEstimate  *estimate);
void      vt_memory_estimate_clear  (VtMemoryEstimate  *estimate);
/* Adds @bytes for @what (a short noun phrase). */
void      vt_memory_estimate_add    (VtMemoryEstimate  *estimate,
                                     const char        *what,
                                     double             bytes);

/* FALSE, with "@what would need about X of memory (parts), but this
 * machine has Y (source). @advice", when the estimate exceeds the budget.
 * The parts listed are those of a twentieth of the total or more: the
 * ones worth lowering. */
gboolean  vt_memory_check           (const VtMemoryEstimate  *estimate,
                                     const char              *what,
                                     const char              *advice,
                                     GError                 **error);

/* @n elements of @size bytes, uninitialized, or NULL with an error naming
 * @what and the amount: for allocations whose size comes from input. */
gpointer  vt_memory_try_alloc       (gsize        n,
                                     gsize        size,
                                     const char  *what,
                                     GError     **error);

/* Bytes as a person reads them: "206.2 GB" (g_format_size of a double). */
char     *vt_memory_format          (double       bytes);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (VtMemoryEstimate, vt_memory_estimate_clear)

G_END_DECLS
