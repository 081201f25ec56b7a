/* test-inspection.c: an inspection written to JSON (what an inspect step
 * with "tensor_histograms" puts in results.json) reads back to the same
 * statistics and histograms, bit for bit; JSON that is not that
 * checkpoint's inspection is refused, naming where. */
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "models/vt-inspection.h"
#include "vt-test-util.h"

/* Equal, or both without a value (JSON's null for a NaN or an infinity). */
static void
assert_same_double (double a,
                    double b)
{
  if (!isfinite (a) || !isfinite (b))
    g_assert_true (!isfinite (a) && !isfinite (b));
  else
    g_assert_cmpfloat (a, ==, b);
}

/* @inspection through JSON text and back. */
static VtInspection *
round_trip (VtInspection *inspection,
            gboolean      histograms)
{
  g_autoptr(JsonNode) json = vt_inspection_to_json (inspection);
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) read = NULL;
  g_autoptr(GError) error = NULL;
  VtInspection *again;

  if (histograms)
    vt_inspection_add_histograms (inspection, json);
  text = json_to_string (json, FALSE);
  read = json_from_string (text, &error);
  g_assert_no_error (error);
  again = vt_inspection_new_from_json (inspection->checkpoint, read, "results.json", &error);
  g_assert_no_error (error);
  return again;
}

static void
assert_round_trip (const char *path,
                   guint       n_tensors)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtInspection) inspection = vt_inspection_run (path, VT_STATS_DEFAULT_BINS, NULL, NULL, &error);
  g_autoptr(VtInspection) again = NULL;
  g_autoptr(VtInspection) bare = NULL;
  guint non_finite = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (inspection->n_tensors, ==, n_tensors);
  again = round_trip (inspection, TRUE);
  g_assert_cmpuint (again->n_tensors, ==, inspection->n_tensors);
  g_assert_cmpuint (again->n_parameters, ==, inspection->n_parameters);
  g_assert_cmpstr (again->architecture->family_name, ==, inspection->architecture->family_name);
  for (guint i = 0; i < inspection->n_tensors; i++)
    {
      const VtTensorStats *a = &inspection->stats[i], *b = &again->stats[i];

      g_assert_cmpuint (a->count, ==, b->count);
      g_assert_cmpuint (a->n_finite, ==, b->n_finite);
      g_assert_cmpuint (a->n_nan, ==, b->n_nan);
      g_assert_cmpuint (a->n_inf, ==, b->n_inf);
      assert_same_double (a->min, b->min);
      assert_same_double (a->max, b->max);
      assert_same_double (a->mean, b->mean);
      assert_same_double (a->std, b->std);
      non_finite += !isfinite (a->mean);
      g_assert_cmpuint (a->histogram.n_bins, ==, b->histogram.n_bins);
      g_assert_cmpfloat (a->histogram.lo, ==, b->histogram.lo);
      g_assert_cmpfloat (a->histogram.hi, ==, b->histogram.hi);
      g_assert_cmpmem (a->histogram.counts, a->histogram.n_bins * sizeof (guint64),
                       b->histogram.counts, b->histogram.n_bins * sizeof (guint64));
    }
  g_test_message ("%s: %u tensors alike, %u of them without a finite mean", path, n_tensors, non_finite);

  /* Written without histograms: the statistics, and no histogram. */
  bare = round_trip (inspection, FALSE);
  for (guint i = 0; i < inspection->n_tensors; i++)
    {
      assert_same_double (inspection->stats[i].mean, bare->stats[i].mean);
      g_assert_cmpuint (bare->stats[i].histogram.n_bins, ==, 0);
    }
}

static void
test_round_trip_resnet20 (void)
{
  g_autofree char *path = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");

  assert_round_trip (path, 97);
}

/* NaN, infinities, empty and constant tensors (the stats fixture). */
static void
test_round_trip_edge (void)
{
  g_autofree char *path = vt_test_fixture ("stats/edge.safetensors");

  assert_round_trip (path, 14);
}

static JsonNode *
inspection_json (VtInspection *inspection)
{
  JsonNode *json = vt_inspection_to_json (inspection);

  vt_inspection_add_histograms (inspection, json);
  return json;
}

static void
assert_refused (VtCheckpoint *checkpoint,
                JsonNode     *json,
                int           code,
                const char   *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtInspection) read = vt_inspection_new_from_json (checkpoint, json, "r/results.json", &error);

  g_assert_null (read);
  g_assert_error (error, VT_INSPECTION_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "r/results.json"));
  g_assert_nonnull (strstr (error->message, message));
}

/* Another checkpoint's inspection, or one damaged, is refused. */
static void
test_refused (void)
{
  g_autofree char *path20 = vt_test_asset ("models/cifar-resnet/resnet20-12fca82f.safetensors");
  g_autofree char *path56 = vt_test_asset ("models/cifar-resnet/resnet56-4bfd9763.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(VtInspection) inspection = vt_inspection_run (path20, 16, NULL, NULL, &error);
  g_autoptr(VtCheckpoint) other = vt_checkpoint_open (path56, &error);
  g_autoptr(JsonNode) json = NULL;
  JsonObject *tensor3;

  g_assert_no_error (error);
  json = inspection_json (inspection);
  assert_refused (other, json, VT_INSPECTION_ERROR_MISMATCH, "an inspection of 97 tensors, but");

  tensor3 = json_array_get_object_element (json_object_get_array_member (json_node_get_object (json), "tensors"), 3);
  json_object_set_string_member (tensor3, "nan", "none");
  assert_refused (inspection->checkpoint, json, VT_INSPECTION_ERROR_JSON, "tensors[3]: nan is missing or not a count");
  json_object_set_int_member (tensor3, "nan", 0);
  json_object_set_int_member (json_object_get_object_member (tensor3, "histogram"), "lo", 0);
  json_array_add_int_element (json_object_get_array_member (json_object_get_object_member (tensor3, "histogram"),
                                                            "counts"), 1000000);
  assert_refused (inspection->checkpoint, json, VT_INSPECTION_ERROR_JSON,
                  "tensors[3].histogram: counts add up to more than the tensor's elements");
  json_object_set_string_member (tensor3, "name", "module.elsewhere");
  assert_refused (inspection->checkpoint, json, VT_INSPECTION_ERROR_MISMATCH, "tensors[3] is not");
  json_object_remove_member (json_node_get_object (json), "tensors");
  assert_refused (inspection->checkpoint, json, VT_INSPECTION_ERROR_JSON, "tensors is missing");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/inspection/round-trip-resnet20", test_round_trip_resnet20);
  g_test_add_func ("/engine/inspection/round-trip-edge", test_round_trip_edge);
  g_test_add_func ("/engine/inspection/refused", test_refused);
  return g_test_run ();
}
