/* vt-active-rng.c: SplitMix64, as vt-active-rng.h states it. */
#include "vt-active-rng.h"

void
vt_active_rng_init (VtActiveRng *rng,
                    guint64      seed)
{
  rng->state = seed;
}

guint64
vt_active_rng_next (VtActiveRng *rng)
{
  guint64 z;

  rng->state += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  z = rng->state;
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return z ^ (z >> 31);
}

guint64
vt_active_rng_below (VtActiveRng *rng,
                     guint64      n)
{
  return vt_active_rng_next (rng) % n;
}

double
vt_active_rng_uniform (VtActiveRng *rng)
{
  return (double) (vt_active_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

void
vt_active_rng_shuffle (VtActiveRng *rng,
                       guint       *values,
                       guint        n)
{
  for (guint i = n > 0 ? n - 1 : 0; i >= 1; i--)
    {
      guint j = (guint) vt_active_rng_below (rng, (guint64) i + 1);
      guint t = values[i];

      values[i] = values[j];
      values[j] = t;
    }
}
