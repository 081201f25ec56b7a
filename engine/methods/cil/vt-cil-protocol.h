/* vt-cil-protocol.h: the class-incremental protocol: a class order, and a
 * split of the ordered classes into stages.
 *
 * "B{base}-Inc{step}": the first stage holds `base` classes (or `step` when
 * base is 0), every later stage `step` more. B0-Inc10 on CIFAR-100 is ten
 * stages of ten classes; B50-Inc10 is 50, then five stages of ten. At stage
 * t a method sees the training samples of stage t's classes only; the test
 * after it covers every class seen so far. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_CIL_ERROR (vt_cil_error_quark ())
GQuark vt_cil_error_quark (void);

typedef enum
{
  VT_CIL_ERROR_SPLIT,      /* not "B<n>-Inc<n>", or it does not divide the classes */
  VT_CIL_ERROR_INPUT,      /* stores that do not fit together */
  VT_CIL_ERROR_NUMERIC,    /* a matrix that cannot be inverted */
} VtCilError;

/* numpy's np.random.seed(1993); np.random.permutation(n), PyCIL's and
 * PILOT's default class order. */
#define VT_CIL_DEFAULT_SEED 1993

typedef struct
{
  guint   base;        /* classes in the first stage; 0: as many as step */
  guint   step;
} VtCilSplit;

gboolean  vt_cil_split_parse   (const char        *text,
                                VtCilSplit        *split,
                                GError           **error);
/* The stage ends for @n_classes: ends[t] is one past stage t's last
 * ordered class. FALSE when the split does not divide the classes. */
gboolean  vt_cil_split_stages  (const VtCilSplit  *split,
                                guint              n_classes,
                                GArray           **ends,
                                GError           **error);
/* order[i] = the original label of the i-th class: 0, 1, … unshuffled, or
 * numpy's permutation under @seed. */
guint    *vt_cil_class_order   (guint              n_classes,
                                gboolean           shuffle,
                                guint32            seed);

G_END_DECLS
