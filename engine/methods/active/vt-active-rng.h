/* vt-active-rng.h: the random stream of active learning, written the same
 * way in tests/reference/make_active_fixtures.py so that both sides draw the
 * same numbers from the same seed.
 *
 * SplitMix64 (Steele, Lea and Flood 2014): state += 0x9E3779B97F4A7C15,
 * then z = state; z = (z ^ (z >> 30)) · 0xBF58476D1CE4E5B9;
 * z = (z ^ (z >> 27)) · 0x94D049BB133111EB; z ^ (z >> 31), all mod 2⁶⁴.
 * below(n) is next % n (a bias under n / 2⁶⁴, nothing at pool sizes);
 * uniform() is (next >> 11) · 2⁻⁵³, in [0, 1). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint64 state;
} VtActiveRng;

void     vt_active_rng_init    (VtActiveRng *rng,
                                guint64      seed);
guint64  vt_active_rng_next    (VtActiveRng *rng);
/* In [0, @n); @n > 0. */
guint64  vt_active_rng_below   (VtActiveRng *rng,
                                guint64      n);
double   vt_active_rng_uniform (VtActiveRng *rng);
/* Python's random.shuffle with below() for its randbelow: for i from
 * n − 1 down to 1, swap values[i] with values[below(i + 1)]. */
void     vt_active_rng_shuffle (VtActiveRng *rng,
                                guint       *values,
                                guint        n);

G_END_DECLS
