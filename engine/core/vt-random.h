/* vt-random.h: numpy's legacy random stream (np.random.seed / RandomState),
 * reproduced exactly, so a seeded shuffle or Gaussian matrix here equals
 * the one a Python reference makes with the same seed.
 *
 * MT19937 seeded as init_genrand(seed); integers in [0, max] by masked
 * rejection (numpy's random_interval); doubles from 53 bits (two draws);
 * Gaussians by Marsaglia's polar method, one cached for the next call. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint32   state[624];
  int       position;
  gboolean  has_gauss;
  double    gauss;
} VtRandom;

/* np.random.seed(seed) for 0 ≤ seed < 2^32. */
void     vt_random_init         (VtRandom  *random,
                                 guint32    seed);
guint32  vt_random_next_uint32  (VtRandom  *random);
/* In [0, @max], by masked rejection: RandomState.randint(0, max + 1). */
guint32  vt_random_interval     (VtRandom  *random,
                                 guint32    max);
/* In [0, 1), 53 random bits: RandomState.random_sample(). */
double   vt_random_double       (VtRandom  *random);
/* RandomState.standard_normal(). */
double   vt_random_gauss        (VtRandom  *random);
/* np.random.permutation(n): out[i] = the i-th element of a shuffled 0..n-1. */
void     vt_random_permutation  (VtRandom  *random,
                                 guint      n,
                                 guint     *out);

G_END_DECLS
