/* vt-random.c: MT19937 (Matsumoto and Nishimura's reference algorithm) and
 * the draws numpy's legacy RandomState builds on it. */
#include "vt-random.h"

#include <math.h>

#define N 624
#define M 397

void
vt_random_init (VtRandom *random,
                guint32   seed)
{
  random->state[0] = seed;
  for (int i = 1; i < N; i++)
    random->state[i] = 1812433253u * (random->state[i - 1] ^ (random->state[i - 1] >> 30)) + (guint32) i;
  random->position = N;
  random->has_gauss = FALSE;
  random->gauss = 0.0;
}

static void
generate (VtRandom *random)
{
  guint32 *mt = random->state;

  for (int i = 0; i < N; i++)
    {
      guint32 y = (mt[i] & 0x80000000u) | (mt[(i + 1) % N] & 0x7fffffffu);
      mt[i] = mt[(i + M) % N] ^ (y >> 1) ^ (y & 1 ? 0x9908b0dfu : 0u);
    }
  random->position = 0;
}

guint32
vt_random_next_uint32 (VtRandom *random)
{
  guint32 y;

  if (random->position >= N)
    generate (random);
  y = random->state[random->position++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

double
vt_random_double (VtRandom *random)
{
  guint32 a = vt_random_next_uint32 (random) >> 5, b = vt_random_next_uint32 (random) >> 6;

  return (a * 67108864.0 + b) / 9007199254740992.0;
}

double
vt_random_gauss (VtRandom *random)
{
  double x1, x2, r2, f;

  if (random->has_gauss)
    {
      random->has_gauss = FALSE;
      return random->gauss;
    }
  do
    {
      x1 = 2.0 * vt_random_double (random) - 1.0;
      x2 = 2.0 * vt_random_double (random) - 1.0;
      r2 = x1 * x1 + x2 * x2;
    }
  while (r2 >= 1.0 || r2 == 0.0);
  /* Polar method: two Gaussians from one point; keep one for next time. */
  f = sqrt (-2.0 * log (r2) / r2);
  random->gauss = f * x1;
  random->has_gauss = TRUE;
  return f * x2;
}

/* An integer in [0, max], by drawing under the smallest all-ones mask. */
guint32
vt_random_interval (VtRandom *random,
                    guint32   max)
{
  guint32 mask = max, value;

  if (max == 0)
    return 0;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  while ((value = vt_random_next_uint32 (random) & mask) > max)
    ;
  return value;
}

void
vt_random_permutation (VtRandom *random,
                       guint     n,
                       guint    *out)
{
  for (guint i = 0; i < n; i++)
    out[i] = i;
  /* Fisher–Yates from the end, as RandomState.shuffle does. */
  for (guint i = n; i-- > 1;)
    {
      guint j = vt_random_interval (random, i);
      guint t = out[i];

      out[i] = out[j];
      out[j] = t;
    }
}
