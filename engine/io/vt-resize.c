/* vt-resize.c: Pillow's resampling, ported. */
#include "vt-resize.h"

#include <math.h>
#include <string.h>

#define PRECISION_BITS (32 - 8 - 2)

typedef struct
{
  double (*filter) (double x);
  double   support;
} Filter;

static double
bilinear (double x)
{
  x = fabs (x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

static double
bicubic (double x)
{
  const double a = -0.5;

  x = fabs (x);
  if (x < 1.0)
    return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0)
    return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

static double
sinc (double x)
{
  if (x == 0.0)
    return 1.0;
  x *= G_PI;
  return sin (x) / x;
}

/* Pillow's LANCZOS (once ANTIALIAS): a sinc truncated by a three-lobe sinc. */
static double
lanczos (double x)
{
  if (-3.0 <= x && x < 3.0)
    return sinc (x) * sinc (x / 3.0);
  return 0.0;
}

static const Filter filters[] = {
  [VT_RESAMPLE_BILINEAR] = { bilinear, 1.0 },
  [VT_RESAMPLE_BICUBIC] = { bicubic, 2.0 },
  [VT_RESAMPLE_LANCZOS] = { lanczos, 3.0 },
};

/* Pillow's precompute_coeffs + normalize_coeffs_8bpc: for each output
 * position, the first input index, the count, and fixed-point weights. */
static int
precompute (int           in_size,
            int           out_size,
            const Filter *filter,
            int         **bounds_out,
            gint32      **weights_out)
{
  double scale = (double) in_size / out_size;
  double filterscale = MAX (scale, 1.0);
  double support = filter->support * filterscale;
  int ksize = (int) ceil (support) * 2 + 1;
  int *bounds = g_new (int, out_size * 2);
  gint32 *weights = g_new0 (gint32, (gsize) out_size * ksize);
  g_autofree double *k = g_new (double, ksize);

  for (int xx = 0; xx < out_size; xx++)
    {
      double center = (xx + 0.5) * scale;
      double ww = 0.0, ss = 1.0 / filterscale;
      int xmin = (int) (center - support + 0.5);
      int xmax = (int) (center + support + 0.5);

      if (xmin < 0)
        xmin = 0;
      if (xmax > in_size)
        xmax = in_size;
      xmax -= xmin;
      for (int x = 0; x < xmax; x++)
        {
          k[x] = filter->filter ((x + xmin - center + 0.5) * ss);
          ww += k[x];
        }
      for (int x = 0; x < xmax; x++)
        {
          double w = ww != 0.0 ? k[x] / ww : k[x];
          weights[(gsize) xx * ksize + x] = (gint32) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS)
                                                            : 0.5 + w * (1 << PRECISION_BITS));
        }
      bounds[xx * 2] = xmin;
      bounds[xx * 2 + 1] = xmax;
    }
  *bounds_out = bounds;
  *weights_out = weights;
  return ksize;
}

static guint8
clip8 (gint64 v)
{
  if (v >= ((gint64) 1 << PRECISION_BITS << 8))
    return 255;
  if (v <= 0)
    return 0;
  return (guint8) (v >> PRECISION_BITS);
}

VtImage *
vt_image_resize (const VtImage *image,
                 int            width,
                 int            height,
                 VtResample     kind)
{
  const Filter *filter = &filters[kind];
  g_autofree int *hb = NULL, *vb = NULL;
  g_autofree gint32 *hk = NULL, *vk = NULL;
  int hks = precompute (image->width, width, filter, &hb, &hk);
  int vks = precompute (image->height, height, filter, &vb, &vk);
  int first = vb[0], last = vb[(height - 1) * 2] + vb[(height - 1) * 2 + 1];
  int rows = last - first;
  g_autofree guint8 *temp = NULL;
  const guint8 *src = image->rgb;
  int src_first = 0;
  VtImage *out = vt_image_new (width, height);

  /* Horizontal pass over the rows the vertical pass will read, into 8 bits. */
  if (width != image->width)
    {
      temp = g_malloc ((gsize) width * rows * 3);
      for (int y = 0; y < rows; y++)
        for (int xx = 0; xx < width; xx++)
          {
            const gint32 *k = hk + (gsize) xx * hks;
            int xmin = hb[xx * 2], xmax = hb[xx * 2 + 1];
            for (int c = 0; c < 3; c++)
              {
                gint64 ss = (gint64) 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < xmax; x++)
                  ss += (gint64) image->rgb[((gsize) (y + first) * image->width + x + xmin) * 3 + c] * k[x];
                temp[((gsize) y * width + xx) * 3 + c] = clip8 (ss);
              }
          }
      src = temp;
      src_first = first;
    }

  if (height != image->height)
    for (int yy = 0; yy < height; yy++)
      {
        const gint32 *k = vk + (gsize) yy * vks;
        int ymin = vb[yy * 2] - src_first, ymax = vb[yy * 2 + 1];
        for (int x = 0; x < width; x++)
          for (int c = 0; c < 3; c++)
            {
              gint64 ss = (gint64) 1 << (PRECISION_BITS - 1);
              for (int y = 0; y < ymax; y++)
                ss += (gint64) src[((gsize) (y + ymin) * width + x) * 3 + c] * k[y];
              out->rgb[((gsize) yy * width + x) * 3 + c] = clip8 (ss);
            }
      }
  else
    memcpy (out->rgb, src + (gsize) (first - src_first) * width * 3, (gsize) width * height * 3);
  return out;
}

VtImage *
vt_image_resize_shorter (const VtImage *image,
                         int            size,
                         VtResample     filter)
{
  int w = image->width, h = image->height;

  if (w <= h)
    return vt_image_resize (image, size, (int) ((gint64) size * h / w), filter);
  return vt_image_resize (image, (int) ((gint64) size * w / h), size, filter);
}

VtImage *
vt_image_center_crop (const VtImage *image,
                      int            width,
                      int            height)
{
  VtImage *out = vt_image_new (width, height);
  /* Python's round() rounds halves to even; so does rint() by default. */
  int top = (int) rint ((image->height - height) / 2.0);
  int left = (int) rint ((image->width - width) / 2.0);

  memset (out->rgb, 0, (gsize) width * height * 3);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        int sy = y + top, sx = x + left;
        if (sy >= 0 && sy < image->height && sx >= 0 && sx < image->width)
          memcpy (out->rgb + ((gsize) y * width + x) * 3, image->rgb + ((gsize) sy * image->width + sx) * 3, 3);
      }
  return out;
}
