/* vt-ops.c: forward kernels. */
#include "vt-ops.h"
#include "core/vt-parallel.h"
#include "core/vt-simd.h"
#include "vt-gemm.h"

#include <math.h>
#include <string.h>

/* C (M, N) = A (M, K) · op(B) + beta·C, row-major, then the epilogue (if
 * any), on every core.
 *
 * The forward passes' products do not go through OpenBLAS's own threads:
 * between calls those spin, yielding, for a while, and on two cores they
 * fought our pool for the core the norms, activations and attention heads
 * ran on (ViT-S/16 at batch 1 spent a third of its samples in sched_yield).
 * Instead the product is cut into parts along its longer side, each a
 * single-threaded product on a pool thread. Small products stay whole;
 * inside a loop that already spreads images or heads over the cores the
 * product runs on its caller's thread.
 *
 * Cut by columns, each part copies its own columns of B and reads all of A.
 * Cut by rows (a convolution's many channels against the few pixels of a
 * small image), every part needs all of B: each core copies all of it into
 * the kernel's layout, in an array of its own, when it takes its first
 * part, and then the rows go in blocks of whole register tiles, a few per
 * core, to whichever core is free. One copy shared by the cores cost more:
 * a cache line written by one core and read by the other crosses between
 * them several times more slowly than a read from the core's own cache,
 * and the cores met twice per product instead of once (bench-conv on two
 * cores, ResNet-50's 3×3 convolution at 14×14: 1.01 ms shared, 0.84–0.87
 * ms with a copy each). */
typedef struct _Product Product;

struct _Product
{
  gboolean         trans_b;
  int              m, n, k;
  const float     *a;
  const float     *b;
  int              ldb;
  float            beta;
  const float     *bias;
  float           *c;
  int              parts;
  const VtGemmEpilogue *epilogue;
  /* cut by rows: how a core makes its copy of B (of packed_size floats),
   * from @source; and which product this is, so that a core copies B once */
  void           (*make_b) (gconstpointer source, float *packed);
  gconstpointer    source;
  gsize            packed_size;
  gsize            id;
};

#define PRODUCT_SPLIT_MIN (1 << 20)   /* multiply-adds below which one core does it */
#define ROW_PARTS_PER_THREAD 4
#define COLUMN_PARTS_PER_THREAD 2   /* each copies its own columns of B and reads all of A */

/* Whether a product of these sizes runs whole on its caller's thread: it is
 * small, there is one thread, or it is inside a loop over the cores already. */
static gboolean
runs_whole (int m,
            int n,
            int k)
{
  return vt_parallel_in_region () || vt_parallel_threads () == 1 || (double) m * n * k < PRODUCT_SPLIT_MIN;
}

static void
column_parts (gsize    begin,
              gsize    end,
              gpointer data)
{
  const Product *p = data;

  for (gsize part = begin; part < end; part++)
    {
      int first = (int) (p->n * part / p->parts), last = (int) (p->n * (part + 1) / p->parts);

      VtGemmEpilogue columns;

      if (last > first)
        vt_gemm (p->trans_b, p->m, last - first, p->k, 1.0f, p->a, p->k,
                 p->trans_b ? p->b + (gsize) first * p->ldb : p->b + first, p->ldb,
                 p->beta, p->bias != NULL ? p->bias + first : NULL, p->c + first, p->n,
                 vt_gemm_epilogue_at (p->epilogue, 0, first, &columns));
    }
}

/* A thread's scratch array, kept from call to call (allocated every time,
 * its pages would be faulted in every time): its copy of B of a product
 * cut by rows; a strip of a convolution's im2col. 64-byte aligned. */
typedef struct
{
  float *data;
  gsize  size;
} Scratch;

static void
scratch_free (gpointer data)
{
  Scratch *scratch = data;

  g_aligned_free (scratch->data);
  g_free (scratch);
}

static GPrivate scratch_key = G_PRIVATE_INIT (scratch_free);

static float *
thread_scratch (gsize size)
{
  Scratch *scratch = g_private_get (&scratch_key);

  if (scratch == NULL)
    {
      scratch = g_new0 (Scratch, 1);
      g_private_set (&scratch_key, scratch);
    }
  if (scratch->size < size)
    {
      g_aligned_free (scratch->data);
      scratch->data = g_aligned_alloc (size, sizeof (float), 64);
      scratch->size = size;
    }
  return scratch->data;
}

/* The product whose B this thread's scratch holds (0: none). Ids are not
 * reused: a 64-bit count does not wrap. */
static _Thread_local gsize packed_product;
static gsize last_product_id;

static const float *
own_copy_of_b (const Product *p)
{
  float *packed = thread_scratch (p->packed_size);

  if (packed_product != p->id)
    {
      p->make_b (p->source, packed);
      packed_product = p->id;
    }
  return packed;
}

static void
row_parts (gsize    begin,
           gsize    end,
           gpointer data)
{
  const Product *p = data;
  const float *packed = own_copy_of_b (p);
  int tiles = (p->m + VT_GEMM_TILE_ROWS - 1) / VT_GEMM_TILE_ROWS;

  for (gsize part = begin; part < end; part++)
    {
      int first = (int) (tiles * part / p->parts) * VT_GEMM_TILE_ROWS;
      int last = MIN (p->m, (int) (tiles * (part + 1) / p->parts) * VT_GEMM_TILE_ROWS);
      VtGemmEpilogue rows;

      if (last > first)
        vt_gemm_packed (last - first, p->n, p->k, 1.0f, p->a + (gsize) first * p->k, p->k, packed,
                        p->beta, p->bias, p->c + (gsize) first * p->n, p->n,
                        vt_gemm_epilogue_at (p->epilogue, first, 0, &rows));
    }
}

/* The product @p, its B made by p->make_b: cut by rows over the cores, or
 * whole where the product is small or already inside a loop. */
static void
multiply_by_rows (Product *p)
{
  gboolean whole = runs_whole (p->m, p->n, p->k);

  p->packed_size = vt_gemm_packed_size (p->k, p->n);
  p->id = (gsize) g_atomic_pointer_add (&last_product_id, 1) + 1;
  p->parts = whole ? 1 : MIN ((p->m + VT_GEMM_TILE_ROWS - 1) / VT_GEMM_TILE_ROWS,
                              ROW_PARTS_PER_THREAD * vt_parallel_threads ());
  if (whole)
    row_parts (0, 1, p);
  else
    vt_parallel_for_each (p->parts, row_parts, p);
}

static void
pack_whole (gconstpointer source,
            float        *packed)
{
  const Product *p = source;

  vt_gemm_pack (packed, p->trans_b, p->k, p->n, p->b, p->ldb);
}

static void
product (gboolean         trans_b,
         int              m,
         int              n,
         int              k,
         const float     *a,
         const float     *b,
         int              ldb,
         float            beta,
         const float     *bias,
         float           *c,
         const VtGemmEpilogue *epilogue)
{
  Product p = { trans_b, m, n, k, a, b, ldb, beta, bias, c, 1, epilogue, pack_whole, &p, 0, 0 };

  if (runs_whole (m, n, k))
    vt_gemm (trans_b, m, n, k, 1.0f, a, k, b, ldb, beta, bias, c, n, epilogue);
  else if (m < n)
    {
      p.parts = COLUMN_PARTS_PER_THREAD * vt_parallel_threads ();
      vt_parallel_for_each (p.parts, column_parts, &p);
    }
  else
    multiply_by_rows (&p);
}

void
vt_linear_forward (float       *y,
                   const float *x,
                   const float *w,
                   const float *b,
                   int          n,
                   int          in,
                   int          out)
{
  product (TRUE, n, out, in, x, w, in, 0.0f, b, y, NULL);
}

void
vt_linear_forward_naive (float       *y,
                         const float *x,
                         const float *w,
                         const float *b,
                         int          n,
                         int          in,
                         int          out)
{
  for (int i = 0; i < n; i++)
    for (int o = 0; o < out; o++)
      {
        double acc = b ? b[o] : 0.0;
        for (int k = 0; k < in; k++)
          acc += (double) x[(gsize) i * in + k] * w[(gsize) o * in + k];
        y[(gsize) i * out + o] = (float) acc;
      }
}

void
vt_matmul_forward (float       *y,
                   const float *x,
                   const float *p,
                   int          n,
                   int          in,
                   int          out)
{
  product (FALSE, n, out, in, x, p, out, 0.0f, NULL, y, NULL);
}

int
vt_conv2d_out_size (int size,
                    int kernel,
                    int stride,
                    int pad)
{
  return (size + 2 * pad - kernel) / stride + 1;
}

/* col (C·kh·kw, OH·OW): row (c, i, j) holds in[c, oy·s + i - p, ox·s + j - p],
 * for the output pixels q = oy·OW + ox in [q0, q1) only (then each row of
 * col is q1 - q0 long).
 * For each (i, j) the columns that fall inside the image are one range
 * [lo, hi), the same for every output row, so the copy has no per-element
 * test: zeros, a run (a memcpy at stride 1), zeros. On small images im2col
 * costs as much as the matrix product, so this matters. */
typedef struct
{
  float       *col;
  const float *in;
  int          c, h, w, kh, kw, stride, pad, oh, ow;
  int          q0, q1;
  int          first_pair;   /* the pair whose rows col starts with */
} Im2col;

/* Row (ch, i, j) of col at stride 1 with the output as wide as the input
 * (ResNet's 3×3 convolutions): over whole output rows it is the plane
 * shifted by (i - pad)·W + j - pad, so one copy does every output row
 * inside the image, and then the columns that fall outside it ([0, lo) and
 * [hi, W) of each output row) are zeroed. On a small image a copy per
 * output row of a few pixels cost more than the product itself. */
static void
im2col_shifted (const Im2col *a,
                int           ch,
                int           i,
                int           j,
                int           lo,
                int           hi,
                float        *row)
{
  int w = a->w, q0 = a->q0, q1 = a->q1;
  gsize plane_size = (gsize) a->h * w;
  const float *plane = a->in + ch * plane_size;
  int shift = (i - a->pad) * w + (j - a->pad);
  /* the output pixels whose input row is inside the image */
  int first = CLAMP ((a->pad - i) * w, q0, q1), last = CLAMP ((a->h + a->pad - i) * w, first, q1);
  /* and of those, the ones whose shifted source is inside the plane (the
   * others are outside columns, zeroed below) */
  int from = MAX (first, -shift), to = MIN (last, (int) plane_size - shift);

  memset (row, 0, sizeof (float) * (first - q0));
  memset (row + (last - q0), 0, sizeof (float) * (q1 - last));
  if (to > from)
    memcpy (row + (from - q0), plane + from + shift, sizeof (float) * (to - from));
  for (int oy = first / w; oy * w < last; oy++)
    {
      for (int ox = 0; ox < lo; ox++)
        if (oy * w + ox >= first && oy * w + ox < last)
          row[oy * w + ox - q0] = 0.0f;
      for (int ox = hi; ox < w; ox++)
        if (oy * w + ox >= first && oy * w + ox < last)
          row[oy * w + ox - q0] = 0.0f;
    }
}

/* Pairs (channel, kernel row) [first, last) of the copy, numbered
 * ch·kh + i: each writes its own rows of col. Pairs, not channels, so that
 * a stem of three channels still splits evenly over the cores. */
static void
im2col_pairs (gsize    first,
              gsize    last,
              gpointer data)
{
  const Im2col *a = data;
  const float *in = a->in;
  int h = a->h, w = a->w, kh = a->kh, kw = a->kw, stride = a->stride, pad = a->pad, ow = a->ow;
  int q0 = a->q0, columns = a->q1 - a->q0;

  for (int j = 0; j < kw; j++)
    {
      int offset = j - pad;                 /* x = ox·stride + offset */
      int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
      int hi = w - 1 - offset < 0 ? 0 : (w - 1 - offset) / stride + 1;

      lo = MIN (lo, ow);
      hi = CLAMP (hi, lo, ow);
      for (gsize pair = first; pair < last; pair++)
        {
          int ch = (int) (pair / kh), i = (int) (pair % kh);
          float *row = a->col + ((pair - a->first_pair) * kw + j) * columns;
          const float *plane = in + (gsize) ch * h * w;

          if (stride == 1 && ow == w)
            {
              im2col_shifted (a, ch, i, j, lo, hi, row);
              continue;
            }
          /* output row oy, its pixels [begin, end) that are in the range */
          for (int oy = q0 / ow; oy * ow < a->q1; oy++)
            {
              int y = oy * stride + i - pad;
              int begin = MAX (q0 - oy * ow, 0), end = MIN (a->q1 - oy * ow, ow);
              int inside = CLAMP (lo, begin, end), outside = CLAMP (hi, inside, end);
              float *dst = row + (oy * ow + begin - q0);   /* pixel ox at dst[ox - begin] */
              const float *src;

              if (y < 0 || y >= h)
                {
                  memset (dst, 0, sizeof (float) * (end - begin));
                  continue;
                }
              src = plane + (gsize) y * w + offset;
              /* The edges are a pixel or two: a loop, not a memset call. */
              for (int ox = begin; ox < inside; ox++)
                dst[ox - begin] = 0.0f;
              if (stride == 1)
                memcpy (dst + (inside - begin), src + inside, sizeof (float) * (outside - inside));
              else if (stride == 2)
                /* a constant stride vectorizes (the 7×7 stem's copy was 4 cycles an element) */
                for (int ox = inside; ox < outside; ox++)
                  dst[ox - begin] = src[2 * ox];
              else
                for (int ox = inside; ox < outside; ox++)
                  dst[ox - begin] = src[ox * stride];
              for (int ox = outside; ox < end; ox++)
                dst[ox - begin] = 0.0f;
            }
        }
    }
}

/* The im2col of a whole image, straight into the layout vt_gemm_packed
 * reads (a product's make_b): each pair's rows are made in a small array,
 * then copied into place. */
static void
im2col_packed (gconstpointer source,
               float        *packed)
{
  const Im2col *whole = source;
  int n = whole->oh * whole->ow, kw = whole->kw, depth = whole->c * whole->kh * kw;
  g_autofree float *rows = g_new (float, (gsize) kw * n);
  Im2col a = *whole;

  a.col = rows;
  for (int pair = 0; pair < whole->c * whole->kh; pair++)
    {
      a.first_pair = pair;
      im2col_pairs (pair, pair + 1, &a);
      vt_gemm_pack_rows (packed, depth, n, pair * kw, kw, rows, n);
    }
}

/* Work over this many elements is spread over the cores, as ranges of its
 * @n parts (channels, elements); inside a loop over images (batch > 1)
 * vt_parallel_for runs it in place, so this matters for a single image
 * (batch 1, Predict). */
#define SPLIT_MIN_ELEMENTS (1 << 16)

static void
for_parts (gsize        n,
           gsize        elements,
           VtRangeFunc  func,
           gpointer     data)
{
  if (elements >= SPLIT_MIN_ELEMENTS)
    vt_parallel_for (n, func, data);
  else
    func (0, n, data);
}

/* A convolution of a large image in strips of output pixels (ranges of
 * OH·OW, across output rows, whole panels of the product wide): for each,
 * the im2col of the strip, then the product for its columns. A thread
 * takes one strip after another, as it is free, and copies each into the
 * same scratch array of its own, so that the copy stays in its own L2 (a
 * whole im2col, 7 MB for ResNet-50's stem, went through memory and back,
 * which two cores shared badly), and the threads meet once per
 * convolution instead of after the copy too. */
#define STRIP_FLOATS (1 << 16)   /* target size of a strip's copy: 256 KB */
#define STRIP_MIN_COLUMNS 128    /* the product wants a few panels of columns */
#define STRIP_ALIGN 32           /* vt_gemm's panel: strips of whole panels waste none */

typedef struct
{
  Im2col       whole;     /* the convolution; q0, q1 unused */
  const float *weight;
  float       *out;
  float        beta;
  int          k, depth;
  int          strip;     /* pixels (columns of col) in a strip */
  const VtGemmEpilogue *epilogue;
} Strips;

static void
strips_range (gsize    first,
              gsize    last,
              gpointer data)
{
  const Strips *s = data;
  int n = s->whole.oh * s->whole.ow;
  float *col = thread_scratch ((gsize) s->depth * s->strip);

  for (gsize strip = first; strip < last; strip++)
    {
      Im2col a = s->whole;
      VtGemmEpilogue columns;

      a.col = col;
      a.q0 = (int) strip * s->strip;
      a.q1 = MIN (n, a.q0 + s->strip);
      im2col_pairs (0, (gsize) a.c * a.kh, &a);
      vt_gemm (FALSE, s->k, a.q1 - a.q0, s->depth, 1.0f, s->weight, s->depth, col, a.q1 - a.q0,
               s->beta, NULL, s->out + a.q0, n, vt_gemm_epilogue_at (s->epilogue, 0, a.q0, &columns));
    }
}

void
vt_conv2d_forward (float       *out,
                   const float *in,
                   const float *weight,
                   const float *bias,
                   int          c,
                   int          h,
                   int          w,
                   int          k,
                   int          kh,
                   int          kw,
                   int          stride,
                   int          pad,
                   const VtGemmEpilogue *epilogue)
{
  int oh = vt_conv2d_out_size (h, kh, stride, pad);
  int ow = vt_conv2d_out_size (w, kw, stride, pad);
  int n = oh * ow, depth = c * kh * kw;
  float beta = 0.0f;
  Im2col whole = { NULL, in, c, h, w, kh, kw, stride, pad, oh, ow, 0, n, 0 };
  int strip = MAX (STRIP_FLOATS / depth / STRIP_ALIGN * STRIP_ALIGN, STRIP_MIN_COLUMNS);
  int n_strips = (n + strip - 1) / strip;
  VtGemmEpilogue with_bias = { 0 };

  /* The bias is the epilogue's shift where that has none; else it is put
   * in out first. */
  if (bias != NULL && (epilogue == NULL || (epilogue->row_scale == NULL && epilogue->row_shift == NULL)))
    {
      if (epilogue != NULL)
        with_bias = *epilogue;
      with_bias.row_shift = bias;
      epilogue = &with_bias;
    }
  else if (bias != NULL)
    {
      for (int o = 0; o < k; o++)
        for (int i = 0; i < n; i++)
          out[(gsize) o * n + i] = bias[o];
      beta = 1.0f;
    }

  /* A 1×1 convolution with stride 1 and no padding is already a matrix. */
  if (kh == 1 && kw == 1 && stride == 1 && pad == 0)
    product (FALSE, k, n, depth, weight, in, n, beta, NULL, out, epilogue);
  else if (n_strips >= 4)   /* a few strips a core; fewer, it goes whole */
    {
      Strips strips = { whole, weight, out, beta, k, depth, strip, epilogue };

      vt_parallel_for_each (n_strips, strips_range, &strips);
    }
  else
    {
      /* out (K, OH·OW) = W (K, C·kh·kw) · col (C·kh·kw, OH·OW), col made
       * straight into the product's layout */
      Product p = { FALSE, k, n, depth, weight, NULL, n, beta, NULL, out, 1, epilogue,
                    im2col_packed, &whole, 0, 0 };

      multiply_by_rows (&p);
    }
}

void
vt_conv2d_forward_naive (float       *out,
                         const float *in,
                         const float *weight,
                         const float *bias,
                         int          c,
                         int          h,
                         int          w,
                         int          k,
                         int          kh,
                         int          kw,
                         int          stride,
                         int          pad)
{
  int oh = vt_conv2d_out_size (h, kh, stride, pad);
  int ow = vt_conv2d_out_size (w, kw, stride, pad);

  for (int o = 0; o < k; o++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        {
          double acc = bias ? bias[o] : 0.0;
          for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < kh; i++)
              for (int j = 0; j < kw; j++)
                {
                  int y = oy * stride + i - pad, x = ox * stride + j - pad;
                  if (y >= 0 && y < h && x >= 0 && x < w)
                    acc += (double) in[((gsize) ch * h + y) * w + x] *
                           weight[(((gsize) o * c + ch) * kh + i) * kw + j];
                }
          out[((gsize) o * oh + oy) * ow + ox] = (float) acc;
        }
}

void
vt_batchnorm_fold (float       *scale,
                   float       *shift,
                   const float *weight,
                   const float *bias,
                   const float *mean,
                   const float *var,
                   float        eps,
                   int          c)
{
  for (int ch = 0; ch < c; ch++)
    {
      double s = weight[ch] / sqrt ((double) var[ch] + eps);
      scale[ch] = (float) s;
      shift[ch] = (float) (bias[ch] - mean[ch] * s);
    }
}

void
vt_add (float       *x,
        const float *y,
        gsize        n)
{
  for (gsize i = 0; i < n; i++)
    x[i] += y[i];
}

typedef struct
{
  float       *x;
  const float *y;
} AddRelu;

static void
add_relu_range (gsize    first,
                gsize    last,
                gpointer data)
{
  const AddRelu *a = data;

  for (gsize i = first; i < last; i++)
    {
      float v = a->x[i] + a->y[i];
      a->x[i] = v < 0.0f ? 0.0f : v;
    }
}

void
vt_add_relu (float       *x,
             const float *y,
             gsize        n)
{
  AddRelu a = { x, y };

  for_parts (n, n, add_relu_range, &a);
}

typedef struct
{
  float       *out;
  const float *in;
  int          h, w, kernel, stride, pad, oh, ow;
} MaxPool;

/* NaN wins, as in PyTorch's max pooling. */
static inline float
max_or_nan (float m,
            float v)
{
  return v > m || v != v ? v : m;
}

/* Separably: for each output row, the max over the window's input rows,
 * column by column, then over the window's columns. Both loops have fixed
 * bounds, so they vectorize: the row of column maxima has -inf on both
 * sides, as wide as the padding and the last window reach. The window over
 * both at once, with its bounds tests, was a twentieth of ResNet-50's time
 * at batch 1, and the column pass with bounds per pixel still 4%. */
static void
maxpool_channels (gsize    first,
                  gsize    last,
                  gpointer data)
{
  const MaxPool *a = data;
  int kernel = a->kernel, stride = a->stride, w = a->w;
  int padded = MAX ((a->ow - 1) * stride + kernel, a->pad + w);
  g_autofree float *row_buffer = g_new (float, padded);
  float *column_max = row_buffer + a->pad;   /* input column x at column_max[x] */

  for (int x = 0; x < padded; x++)
    row_buffer[x] = -INFINITY;
  for (gsize ch = first; ch < last; ch++)
    {
      const float *plane = a->in + ch * a->h * w;

      for (int oy = 0; oy < a->oh; oy++)
        {
          int top = oy * stride - a->pad;
          int y0 = MAX (top, 0), y1 = MIN (top + kernel, a->h);
          float *dst = a->out + (ch * a->oh + oy) * a->ow;

          /* PyTorch keeps the padding under half the window, so every
           * window holds an input row (y0 < y1) */
          for (int x = 0; x < w; x++)
            column_max[x] = plane[(gsize) y0 * w + x];
          for (int y = y0 + 1; y < y1; y++)
            for (int x = 0; x < w; x++)
              column_max[x] = max_or_nan (column_max[x], plane[(gsize) y * w + x]);
          if (stride == 2 && kernel == 3)   /* ResNet's: a constant stride vectorizes */
            for (int ox = 0; ox < a->ow; ox++)
              dst[ox] = max_or_nan (max_or_nan (row_buffer[2 * ox], row_buffer[2 * ox + 1]),
                                    row_buffer[2 * ox + 2]);
          else
            for (int ox = 0; ox < a->ow; ox++)
              {
                float m = row_buffer[ox * stride];

                for (int j = 1; j < kernel; j++)
                  m = max_or_nan (m, row_buffer[ox * stride + j]);
                dst[ox] = m;
              }
        }
    }
}

void
vt_maxpool2d (float       *out,
              const float *in,
              int          c,
              int          h,
              int          w,
              int          kernel,
              int          stride,
              int          pad)
{
  MaxPool a = { out, in, h, w, kernel, stride, pad, vt_conv2d_out_size (h, kernel, stride, pad),
                vt_conv2d_out_size (w, kernel, stride, pad) };

  for_parts (c, (gsize) c * a.oh * a.ow * kernel * kernel, maxpool_channels, &a);
}

void
vt_avgpool2d (float       *out,
              const float *in,
              int          c,
              int          h,
              int          w,
              int          k)
{
  int oh = h / k, ow = w / k;

  for (int ch = 0; ch < c; ch++)
    for (int oy = 0; oy < oh; oy++)
      for (int ox = 0; ox < ow; ox++)
        {
          float sum = 0;
          for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
              sum += in[((gsize) ch * h + oy * k + i) * w + ox * k + j];
          out[((gsize) ch * oh + oy) * ow + ox] = sum / (k * k);
        }
}

void
vt_l2_normalize (float       *out,
                 const float *in,
                 int          n)
{
  double sq = 0.0;

  for (int i = 0; i < n; i++)
    sq += (double) in[i] * in[i];
  double norm = sqrt (sq);
  for (int i = 0; i < n; i++)
    out[i] = (float) (in[i] / norm);
}

void
vt_global_avgpool (float       *out,
                   const float *in,
                   int          c,
                   int          hw)
{
  for (int ch = 0; ch < c; ch++)
    {
      double acc = 0.0;
      for (int i = 0; i < hw; i++)
        acc += in[(gsize) ch * hw + i];
      out[ch] = (float) (acc / hw);
    }
}

void
vt_layernorm (float       *y,
              const float *x,
              const float *gamma,
              const float *beta,
              int          n,
              int          c,
              float        eps)
{
  for (int i = 0; i < n; i++)
    {
      const float *row = x + (gsize) i * c;
      float *dst = y + (gsize) i * c;
      double mean = 0.0, var = 0.0, rstd;

      for (int j = 0; j < c; j++)
        mean += row[j];
      mean /= c;
      for (int j = 0; j < c; j++)
        var += (row[j] - mean) * (row[j] - mean);
      rstd = 1.0 / sqrt (var / c + eps);
      for (int j = 0; j < c; j++)
        dst[j] = (float) ((row[j] - mean) * rstd) * gamma[j] + beta[j];
    }
}

/* exp(x) for the activations and softmax, branch-free so the compiler can
 * vectorize it (libm's expf and erff are per-element calls and took a fifth
 * of a ViT's time): x = n·ln2 + r, |r| ≤ ln2/2, e^r by a degree-6 Taylor
 * polynomial, 2^n through the exponent bits. Relative error below 3e-7
 * (tests/engine/test-ops.c checks it against libm). */
static inline float
fast_expf (float x)
{
  union { float f; gint32 i; } scale;
  float n, r, p, c;

  /* Clamped so that NaN lands inside the range too (both comparisons are
   * false for it): converting a NaN n to an integer below is undefined. */
  c = x > -87.0f ? x : -87.0f;
  c = c < 88.0f ? c : 88.0f;
  /* Round to the nearest integer (ties to even, as nearbyintf) by adding
   * and taking away 1.5·2²³: plain arithmetic, so the loops vectorize. */
  n = (c * 1.44269504f + 12582912.0f) - 12582912.0f;
  r = c - n * 0.693145752f - n * 1.42860677e-6f;
  p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720))))));
  scale.i = ((gint32) n + 127) << 23;
  p *= scale.f;
  /* Below e^-87 the result is 0: a masked (−∞) score must weigh nothing.
   * e^+∞ is +∞ and e^NaN is NaN, as expf gives them. */
  p = x < -87.0f ? 0.0f : p;
  p = x == INFINITY ? INFINITY : p;
  return x != x ? x : p;
}

/* erf by Abramowitz & Stegun 7.1.26: |error| ≤ 1.5e-7 in exact
 * arithmetic, under 5e-7 in float (checked in test-ops). */
static inline float
fast_erff (float x)
{
  float a = fabsf (x);
  float t = 1.0f / (1.0f + 0.3275911f * a);
  float y = 1.0f - t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))))
                   * fast_expf (-a * a);
  return copysignf (y, x);
}

float
vt_exp_approx (float x)
{
  return fast_expf (x);
}

float
vt_erf_approx (float x)
{
  return fast_erff (x);
}

/* These loops vectorize (fast_expf is plain arithmetic); GCC also builds
 * them for AVX2 and picks that copy at load time. */
VT_AVX2_CLONES
void
vt_gelu (float *x,
         gsize  n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = 0.5f * x[i] * (1.0f + fast_erff (x[i] * (float) M_SQRT1_2));
}

VT_AVX2_CLONES
void
vt_quick_gelu (float *x,
               gsize  n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = x[i] / (1.0f + fast_expf (-1.702f * x[i]));
}

/* The running max and sum are kept in 16 lanes: a single running max or
 * sum is a chain GCC must keep in order, and those two loops stayed scalar
 * (a tenth of ViT-S/16's time at batch 1). */
#define SOFTMAX_LANES 16

VT_AVX2_CLONES
void
vt_softmax_rows (float *x,
                 int    rows,
                 int    cols)
{
  gsize whole = (gsize) cols / SOFTMAX_LANES * SOFTMAX_LANES;

  for (int r = 0; r < rows; r++)
    {
      float *row = x + (gsize) r * cols;
      float lane_max[SOFTMAX_LANES], lane_sum[SOFTMAX_LANES];
      float m = -INFINITY, sum = 0.0f;

      for (int l = 0; l < SOFTMAX_LANES; l++)
        {
          lane_max[l] = -INFINITY;
          lane_sum[l] = 0.0f;
        }
      for (gsize j = 0; j < whole; j += SOFTMAX_LANES)
        for (int l = 0; l < SOFTMAX_LANES; l++)
          lane_max[l] = row[j + l] > lane_max[l] ? row[j + l] : lane_max[l];
      for (int l = 0; l < SOFTMAX_LANES; l++)
        m = MAX (m, lane_max[l]);
      for (gsize j = whole; j < (gsize) cols; j++)
        m = MAX (m, row[j]);

      for (gsize j = 0; j < whole; j += SOFTMAX_LANES)
        for (int l = 0; l < SOFTMAX_LANES; l++)
          {
            row[j + l] = fast_expf (row[j + l] - m);
            lane_sum[l] += row[j + l];
          }
      for (int l = 0; l < SOFTMAX_LANES; l++)
        sum += lane_sum[l];
      for (gsize j = whole; j < (gsize) cols; j++)
        {
          row[j] = fast_expf (row[j] - m);
          sum += row[j];
        }

      sum = 1.0f / sum;
      for (gsize j = 0; j < (gsize) cols; j++)
        row[j] *= sum;
    }
}

static void
mask_causal (float *scores,
             int    t)
{
  for (int i = 0; i < t; i++)
    for (int j = i + 1; j < t; j++)
      scores[(gsize) i * t + j] = -INFINITY;
}

void
vt_attention_head (float       *out,
                   float       *probs,
                   float       *scores,
                   const float *qkv,
                   int          t,
                   int          c,
                   int          heads,
                   int          h,
                   gboolean     causal)
{
  int d = c / heads;
  float scale = 1.0f / sqrtf ((float) d);
  const float *q = qkv + h * d;
  const float *k = qkv + c + h * d;
  const float *v = qkv + 2 * c + h * d;
  float *p = probs ? probs : scores;

  /* p (T, T) = scale · q (T, D) · kᵀ; rows of q and k are 3C apart */
  vt_gemm (TRUE, t, t, d, scale, q, 3 * c, k, 3 * c, 0.0f, NULL, p, t, NULL);
  if (causal)
    mask_causal (p, t);
  vt_softmax_rows (p, t, t);
  /* out[:, h·D …] (T, D) = p (T, T) · v (T, D) */
  vt_gemm (FALSE, t, d, t, 1.0f, p, t, v, 3 * c, 0.0f, NULL, out + h * d, c, NULL);
}

void
vt_attention_forward (float       *out,
                      float       *probs,
                      float       *scores,
                      const float *qkv,
                      int          t,
                      int          c,
                      int          heads,
                      gboolean     causal)
{
  for (int h = 0; h < heads; h++)
    vt_attention_head (out, probs ? probs + (gsize) h * t * t : NULL, scores, qkv, t, c, heads, h, causal);
}

void
vt_attention_forward_naive (float       *out,
                            float       *probs,
                            const float *qkv,
                            int          t,
                            int          c,
                            int          heads,
                            gboolean     causal)
{
  int d = c / heads;

  for (int h = 0; h < heads; h++)
    {
      float *p = probs + (gsize) h * t * t;

      for (int i = 0; i < t; i++)
        for (int j = 0; j < t; j++)
          {
            double acc = 0.0;
            for (int e = 0; e < d; e++)
              acc += (double) qkv[(gsize) i * 3 * c + h * d + e] * qkv[(gsize) j * 3 * c + c + h * d + e];
            p[(gsize) i * t + j] = causal && j > i ? -INFINITY : (float) (acc / sqrt ((double) d));
          }
      vt_softmax_rows (p, t, t);
      for (int i = 0; i < t; i++)
        for (int e = 0; e < d; e++)
          {
            double acc = 0.0;
            for (int j = 0; j < t; j++)
              acc += (double) p[(gsize) i * t + j] * qkv[(gsize) j * 3 * c + 2 * c + h * d + e];
            out[(gsize) i * c + h * d + e] = (float) acc;
          }
    }
}

static float
keys_cubic (float x)
{
  const float a = -0.5f;

  x = fabsf (x);
  if (x < 1.0f)
    return ((a + 2.0f) * x - (a + 3.0f)) * x * x + 1.0f;
  if (x < 2.0f)
    return ((a * x - 5.0f * a) * x + 8.0f * a) * x - 4.0f * a;
  return 0.0f;
}

/* One dimension of PyTorch's antialiased interpolation: for each output
 * index, the first input index, the count, and the normalized weights. */
static int
aa_weights (int     in_size,
            int     out_size,
            int    *first,
            int    *count,
            float **weights)
{
  float scale = (float) in_size / (float) out_size;
  float support = scale >= 1.0f ? 2.0f * scale : 2.0f;
  float invscale = scale >= 1.0f ? 1.0f / scale : 1.0f;
  int max_size = (int) ceilf (support) * 2 + 1;

  *weights = g_new0 (float, (gsize) out_size * max_size);
  for (int i = 0; i < out_size; i++)
    {
      float center = scale * (i + 0.5f), total = 0.0f;
      int xmin = MAX ((int) (center - support + 0.5f), 0);
      int xsize = MIN ((int) (center + support + 0.5f), in_size) - xmin;
      float *w = *weights + (gsize) i * max_size;

      for (int j = 0; j < xsize; j++)
        total += w[j] = keys_cubic ((j + xmin - center + 0.5f) * invscale);
      for (int j = 0; j < xsize && total != 0.0f; j++)
        w[j] /= total;
      first[i] = xmin;
      count[i] = xsize;
    }
  return max_size;
}

void
vt_resample_bicubic_aa (float       *out,
                        const float *in,
                        int          h,
                        int          w,
                        int          c,
                        int          oh,
                        int          ow)
{
  g_autofree int *rf = g_new (int, oh), *rc = g_new (int, oh);
  g_autofree int *cf = g_new (int, ow), *cc = g_new (int, ow);
  g_autofree float *rw = NULL, *cw = NULL;
  g_autofree float *rows = g_new0 (float, (gsize) oh * w * c);
  int rmax = aa_weights (h, oh, rf, rc, &rw);
  int cmax = aa_weights (w, ow, cf, cc, &cw);

  /* Along H (dimension 2 of NCHW) first, as PyTorch does. */
  for (int i = 0; i < oh; i++)
    for (int x = 0; x < w; x++)
      for (int ch = 0; ch < c; ch++)
        {
          float acc = 0.0f;
          for (int j = 0; j < rc[i]; j++)
            acc += rw[(gsize) i * rmax + j] * in[((gsize) (rf[i] + j) * w + x) * c + ch];
          rows[((gsize) i * w + x) * c + ch] = acc;
        }
  for (int i = 0; i < oh; i++)
    for (int x = 0; x < ow; x++)
      for (int ch = 0; ch < c; ch++)
        {
          float acc = 0.0f;
          for (int j = 0; j < cc[x]; j++)
            acc += cw[(gsize) x * cmax + j] * rows[((gsize) i * w + cf[x] + j) * c + ch];
          out[((gsize) i * ow + x) * c + ch] = acc;
        }
}
