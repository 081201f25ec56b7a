/* vt-cil-method.h: a class-incremental method on frozen features.
 *
 * A method learns stage by stage from the training features of that stage's
 * classes only (labels are positions in the class order, so a stage's
 * classes are contiguous) and predicts over every class seen so far. All
 * arithmetic is in double precision, so predictions agree with the numpy
 * references in tests/reference/ to the sample. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _VtCilMethod VtCilMethod;

typedef enum
{
  VT_GDA_SHRINK_KS,       /* Kubokawa–Srivastava: d · (scatter + tr(S) I)^-1 */
  VT_GDA_SHRINK_RIDGE,    /* Avalanche's StreamingLDA: ((1 - ε) S + ε I)^-1 */
} VtGdaShrinkage;

typedef struct
{
  VtGdaShrinkage  gda_shrinkage;     /* default KS */
  double          gda_ridge;         /* ε, default 1e-4 */
  guint           ranpac_dim;        /* M, default 10,000 */
  guint32         ranpac_seed;       /* of the Gaussian projection, numpy's legacy stream */
} VtCilOptions;

void           vt_cil_options_init       (VtCilOptions        *options);

typedef struct
{
  const char  *name;       /* as in specs: "nmc", "simplecil", "gda", "ranpac" */
  const char  *title;      /* for charts: "NMC", "SimpleCIL", "GDA", "RanPAC" */
  VtCilMethod *(*create)  (guint                dim,
                           guint                n_classes,
                           const VtCilOptions  *options);
  /* x (n, dim); y in [first, n_seen): this stage's classes. */
  gboolean     (*learn)   (VtCilMethod         *self,
                           const double        *x,
                           const guint         *y,
                           gsize                n,
                           guint                n_seen,
                           GError             **error);
  /* pred[i] in [0, n_seen). */
  void         (*predict) (VtCilMethod         *self,
                           const double        *x,
                           gsize                n,
                           guint               *pred);
  void         (*destroy) (VtCilMethod         *self);
} VtCilMethodClass;

struct _VtCilMethod
{
  const VtCilMethodClass  *klass;
  guint                    dim;
  guint                    n_classes;   /* in all stages */
  guint                    n_seen;
  GCancellable            *cancellable; /* checked inside long stages (RanPAC's products and solves); may be NULL */
  /* Where a long stage says how far it got; may be NULL. */
  void                   (*progress)    (double fraction, const char *what, gpointer data);
  gpointer                 progress_data;
  double                   progress_fraction;   /* the last one reported */
};

extern const VtCilMethodClass vt_cil_nmc;
extern const VtCilMethodClass vt_cil_simplecil;
extern const VtCilMethodClass vt_cil_gda;
extern const VtCilMethodClass vt_cil_ranpac;

/* A method of @klass, ready for its first stage. */
VtCilMethod   *vt_cil_method_new   (const VtCilMethodClass *klass,
                                    guint                   dim,
                                    guint                   n_classes,
                                    const VtCilOptions     *options);
/* One stage: x (n, dim), y in [previously seen, n_seen). */
gboolean       vt_cil_method_learn (VtCilMethod            *self,
                                    const double           *x,
                                    const guint            *y,
                                    gsize                   n,
                                    guint                   n_seen,
                                    GError                **error);
void           vt_cil_method_free  (VtCilMethod            *self);
/* Inside learn: @fraction of this stage done (< 0: as last said), now doing
 * @what. */
void           vt_cil_method_progress (VtCilMethod         *self,
                                       double               fraction,
                                       const char          *what);

/* The four, in a fixed order, NULL-terminated. */
const VtCilMethodClass * const *vt_cil_methods      (void);
guint                           vt_cil_n_methods    (void);

/* Shared by the methods: adds the stage's rows (optionally L2-normalized
 * first) to the per-class sums (n_classes, dim) and counts, then sets
 * means[c] = sums[c] / counts[c] for the n_seen classes (0 for a class
 * without samples). */
void  vt_cil_update_class_means     (const double  *x,
                                     const guint   *y,
                                     gsize          n,
                                     guint          dim,
                                     gboolean       normalize,
                                     guint          n_seen,
                                     double        *sums,
                                     guint64       *counts,
                                     double        *means);
/* The index of the largest of scores[0..n); the first on ties, as argmax. */
guint vt_cil_argmax                 (const double  *scores,
                                     guint          n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtCilMethod, vt_cil_method_free)

G_END_DECLS
