/* test-stats.c: tensor statistics against numpy on the same tensors.
 *
 * Fixtures: tests/reference/make_stats_fixture.py (numpy 1.24, float64). */
#include <json-glib/json-glib.h>
#include <math.h>

#include "core/vt-stats.h"
#include "io/vt-checkpoint.h"
#include "vt-test-util.h"

/* Summation order differs (numpy sums pairwise), so mean and std agree to
 * rounding, not bit for bit; min, max and every histogram count are exact. */
#define REL_TOLERANCE 1e-12

static double
member_double (JsonObject *o,
               const char *name)
{
  JsonNode *node = json_object_get_member (o, name);
  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

static double
relative_difference (double ours,
                     double theirs)
{
  if (isnan (ours) && isnan (theirs))
    return 0.0;
  return fabs (ours - theirs) / MAX (1.0, fabs (theirs));
}

static void
compare_checkpoint (const char *checkpoint_path,
                    const char *expected_path,
                    guint       expected_count)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtCheckpoint) ckpt = vt_checkpoint_open (checkpoint_path, &error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *expected;
  double worst = 0.0;
  g_autoptr(GList) names = NULL;

  g_assert_no_error (error);
  json_parser_load_from_file (parser, expected_path, &error);
  g_assert_no_error (error);
  expected = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpuint (json_object_get_size (expected), ==, expected_count);
  g_assert_cmpuint (vt_checkpoint_get_n_tensors (ckpt), ==, expected_count);

  names = json_object_get_members (expected);
  for (GList *l = names; l; l = l->next)
    {
      JsonObject *e = json_object_get_object_member (expected, l->data);
      const VtTensor *tensor = vt_checkpoint_lookup (ckpt, l->data);
      JsonArray *counts = json_object_get_array_member (e, "histogram");
      VtTensorStats s;

      g_assert_nonnull (tensor);
      vt_tensor_stats_compute (tensor, json_array_get_length (counts), &s);
      g_assert_cmpuint (s.count, ==, json_object_get_int_member (e, "count"));
      g_assert_cmpuint (s.n_nan, ==, json_object_get_int_member (e, "nan"));
      g_assert_cmpuint (s.n_inf, ==, json_object_get_int_member (e, "inf"));
      g_assert_true (relative_difference (s.min, member_double (e, "min")) == 0.0);
      g_assert_true (relative_difference (s.max, member_double (e, "max")) == 0.0);
      worst = MAX (worst, relative_difference (s.mean, member_double (e, "mean")));
      worst = MAX (worst, relative_difference (s.std, member_double (e, "std")));
      for (guint b = 0; b < json_array_get_length (counts); b++)
        if (s.histogram.counts[b] != (guint64) json_array_get_int_element (counts, b))
          g_error ("%s: bin %u has %" G_GUINT64_FORMAT ", numpy %" G_GINT64_FORMAT,
                   (const char *) l->data, b, s.histogram.counts[b], json_array_get_int_element (counts, b));
      vt_tensor_stats_clear (&s);
    }
  g_test_message ("%s: largest relative difference of mean/std against numpy: %.3g", checkpoint_path, worst);
  g_assert_cmpfloat (worst, <=, REL_TOLERANCE);
}

static void
test_resnet20_against_numpy (void)
{
  g_autofree char *ckpt = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *expected = vt_test_fixture ("stats/resnet20-stats.json");

  compare_checkpoint (ckpt, expected, 97);
}

/* F16, BF16, F64, integers, booleans, NaN, ±Inf, constant, empty, scalar,
 * and values exactly on bin edges. */
static void
test_edge_cases_against_numpy (void)
{
  g_autofree char *ckpt = vt_test_fixture ("stats/edge.safetensors");
  g_autofree char *expected = vt_test_fixture ("stats/edge-stats.json");

  compare_checkpoint (ckpt, expected, 14);
}

/* Found by the fuzzer: finite values whose span overflows a double. Every
 * value must still land in a bin, the extremes in the end bins. */
static void
test_overflowing_range (void)
{
  double values[4] = { -1.7e308, 0.0, 1.0, 1.7e308 };
  VtTensor tensor = { .name = (char *) "wide", .dtype = VT_DTYPE_F64, .ndim = 1,
                      .shape = { 4 }, .numel = 4, .nbytes = sizeof values,
                      .data = (const guint8 *) values };
  VtTensorStats s;
  guint64 total = 0;

  vt_tensor_stats_compute (&tensor, 8, &s);
  g_assert_cmpfloat (s.min, ==, -1.7e308);
  g_assert_cmpfloat (s.max, ==, 1.7e308);
  for (guint b = 0; b < 8; b++)
    total += s.histogram.counts[b];
  g_assert_cmpuint (total, ==, 4);
  g_assert_cmpuint (s.histogram.counts[0], ==, 1);
  g_assert_cmpuint (s.histogram.counts[4], ==, 2);
  g_assert_cmpuint (s.histogram.counts[7], ==, 1);
  vt_tensor_stats_clear (&s);
}

static void
test_histogram_copy (void)
{
  guint64 counts[3] = { 1, 5, 2 };
  VtHistogram h = { 3, -1.0, 1.0, counts };
  g_autoptr(VtHistogram) copy = vt_histogram_copy (&h);

  g_assert_true (copy->counts != counts);
  g_assert_cmpuint (copy->counts[1], ==, 5);
  g_assert_cmpuint (vt_histogram_max_count (copy), ==, 5);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/stats/resnet20-against-numpy", test_resnet20_against_numpy);
  g_test_add_func ("/engine/stats/edge-cases-against-numpy", test_edge_cases_against_numpy);
  g_test_add_func ("/engine/stats/overflowing-range", test_overflowing_range);
  g_test_add_func ("/engine/stats/histogram-copy", test_histogram_copy);
  return g_test_run ();
}
