/* vt-test-util.h: where tests find their inputs, crafted files, and how far
 * a result is from its reference. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A file under ../shared/assets. The assets are part of the test setup: a
 * missing one fails the test (it is never skipped). */
char     *vt_test_asset        (const char *relative);
/* A file under tests/fixtures (committed, written by tests/reference/). */
char     *vt_test_fixture      (const char *relative);
/* A fresh temporary folder, removed by the caller with vt_test_rm_rf. */
char     *vt_test_tmpdir       (void);
void      vt_test_rm_rf        (const char *path);

/* Writes a safetensors file: the 8-byte length, @header as given, then
 * @data_size bytes of a repeating pattern. */
char     *vt_test_write_safetensors (const char *dir,
                                     const char *name,
                                     const char *header,
                                     gsize       data_size);

/* Writes the first @numerator/@denominator of @source to @dir/@name, as a
 * download or copy cut short would leave it. */
char     *vt_test_write_truncated   (const char *source,
                                     const char *dir,
                                     const char *name,
                                     guint       numerator,
                                     guint       denominator);

/* Copies @source to @dir/@name. */
char     *vt_test_copy              (const char *source,
                                     const char *dir,
                                     const char *name);
/* Writes @size bytes of @data to @dir/@name. */
char     *vt_test_write_file        (const char *dir,
                                     const char *name,
                                     const void *data,
                                     gsize       size);

/* @depth “[” then @depth “]”: valid JSON that nests @depth levels. About
 * 80,000 levels overflowed json-glib's recursive parser. */
char     *vt_test_nested_json       (guint       depth);


/* The largest |ours − ref| over @n values, over the largest |ref| (the
 * difference itself where @ref is all zeros): how far a result is from
 * PyTorch's, whatever the values' scale. */
double    vt_test_relative_difference (const float *ours,
                                       const float *ref,
                                       gsize        n);

/* A long task that Cancel must stop: returns FALSE with @error set when
 * cancelled, TRUE when it ran to the end. */
typedef gboolean (*VtTestTask) (gpointer       data,
                                GCancellable  *cancellable,
                                GError       **error);

/* The most a task may take to notice a Cancel, measured from the cancel to
 * its return: the bound, with the tasks' checks some milliseconds
 * apart even on a loaded two-core machine. */
#define VT_TEST_CANCEL_BOUND_US (200 * 1000)

/* VITRINE_DEADLINE_SCALE (the sanitizer setup's), or 1: how much slower
 * than the product this build runs, for a delay that must fall in the
 * same phase of a task. */
double    vt_test_deadline_scale    (void);

/* Runs @task on this thread, cancels it from another one @delay_ms after
 * it started, and asserts that it returned G_IO_ERROR_CANCELLED within
 * VT_TEST_CANCEL_BOUND_US of the cancel (times VITRINE_DEADLINE_SCALE,
 * which only the sanitizer setup sets: its build runs two to three times
 * slower, so the product's bound is the unsanitized run's). @task's input must be big enough
 * that it would run for seconds: one that ran to the end fails. Returns
 * the microseconds from the cancel to the return. */
gint64    vt_test_assert_cancels    (const char *what,
                                     VtTestTask  task,
                                     gpointer    data,
                                     guint       delay_ms);


/* Caps this process's address space at what it maps now plus @extra
 * bytes (setrlimit RLIMIT_AS), so that a later allocation beyond that
 * fails. For a g_test_trap_subprocess() child: a step that must stay
 * within a memory budget aborts there, instead of passing by luck. Lift
 * the cap with vt_test_unlimit_memory() right after the step: OpenBLAS's
 * threads retry a failed allocation forever, at exit too. */
void      vt_test_limit_memory      (gsize       extra);
void      vt_test_unlimit_memory    (void);

G_END_DECLS
