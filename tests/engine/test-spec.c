/* test-spec.c: experiment specs, valid and invalid; every rejection names
 * the JSON path of what is wrong. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "run/steps/vt-step-glyphs.h"
#include "run/vt-spec.h"
#include "run/vt-step.h"
#include "run/steps/vt-step-attribute.h"
#include "vt-test-util.h"

static void
test_valid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (
    "{\"name\": \"demo\", \"steps\": ["
    "  {\"kind\": \"inspect\", \"checkpoint\": \"a.safetensors\", \"histograms\": [\"w\", \"b\"],"
    "   \"bins\": 32, \"formats\": [\"svg\", \"pdf\"]},"
    "  {\"kind\": \"inspect\", \"checkpoint\": \"/abs/b.safetensors\"}]}",
    "/specs", &error);
  VtInspectStep *first, *second;
  g_autofree char *resolved = NULL;
  g_autofree char *absolute = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (spec->name, ==, "demo");
  g_assert_cmpuint (spec->steps->len, ==, 2);
  first = g_ptr_array_index (spec->steps, 0);
  second = g_ptr_array_index (spec->steps, 1);
  g_assert_true (first->base.type == &vt_inspect_step_type);
  g_assert_cmpstr (first->base.id, ==, "inspect");
  g_assert_cmpstr (second->base.id, ==, "inspect-2");
  g_assert_cmpuint (first->bins, ==, 32);
  g_assert_cmpuint (first->formats, ==, VT_FIGURE_FORMAT_SVG | VT_FIGURE_FORMAT_PDF);
  g_assert_cmpuint (g_strv_length (first->histograms), ==, 2);
  /* Defaults */
  g_assert_cmpuint (second->bins, ==, 64);
  g_assert_cmpuint (second->formats, ==, VT_FIGURE_FORMATS_ALL);
  g_assert_cmpuint (g_strv_length (second->histograms), ==, 0);

  resolved = vt_spec_resolve_path (spec, first->checkpoint);
  absolute = vt_spec_resolve_path (spec, second->checkpoint);
  g_assert_cmpstr (resolved, ==, "/specs/a.safetensors");
  g_assert_cmpstr (absolute, ==, "/abs/b.safetensors");
}

typedef struct
{
  const char *name;
  const char *json;
  int         code;
  const char *message;
} BadSpec;

#define STEP(fields) "{\"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"m.safetensors\"" fields "}]}"

#define TRANSFORM(fields) "{\"steps\": [{\"kind\": \"evaluate\", \"checkpoint\": \"m\", \"dataset\": \"d\"," \
  " \"transform\": {" fields "}}]}"

static const BadSpec bad_specs[] = {
  { "not-json", "{\"steps\": [", VT_SPEC_ERROR_PARSE, "not valid JSON" },
  { "extract-store-and-cache", "{\"steps\": [{\"kind\": \"extract\", \"checkpoint\": \"m\", \"dataset\": \"d\","
    " \"store\": \"s.safetensors\", \"cache\": true}]}", VT_SPEC_ERROR_INVALID,
    "$.steps[0].cache: a store goes either to \"store\" or to the cache" },
  { "project-layout-every-negative", "{\"steps\": [{\"kind\": \"project\", \"store\": \"s\", \"layout_every\": -1}]}",
    VT_SPEC_ERROR_INVALID, "$.steps[0].layout_every: expected an integer from 0 to 100000" },
  { "tensor-histograms-not-bool", STEP (", \"tensor_histograms\": 1"), VT_SPEC_ERROR_INVALID,
    "$.steps[0].tensor_histograms: expected true or false" },
  { "not-an-object", "[1]", VT_SPEC_ERROR_INVALID, "$: expected an object" },
  { "unknown-top-key", "{\"steps\": [], \"stpes\": 1}", VT_SPEC_ERROR_INVALID, "$.stpes: unknown key" },
  { "no-steps", "{\"name\": \"x\"}", VT_SPEC_ERROR_INVALID, "$.steps: expected a non-empty list" },
  { "base-dir-relative", "{\"base_dir\": \"inputs\", \"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"m\"}]}",
    VT_SPEC_ERROR_INVALID, "$.base_dir: “inputs” is not an absolute path" },
  { "base-dir-not-string", "{\"base_dir\": 3, \"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"m\"}]}",
    VT_SPEC_ERROR_INVALID, "$.base_dir: expected a non-empty string" },
  { "empty-steps", "{\"steps\": []}", VT_SPEC_ERROR_INVALID, "$.steps: expected a non-empty list" },
  { "step-not-object", "{\"steps\": [3]}", VT_SPEC_ERROR_INVALID, "$.steps[0]: expected an object" },
  { "missing-kind", "{\"steps\": [{\"checkpoint\": \"m\"}]}", VT_SPEC_ERROR_INVALID, "$.steps[0].kind: missing" },
  { "unknown-kind", "{\"steps\": [{\"kind\": \"label\"}]}", VT_SPEC_ERROR_INVALID, "$.steps[0].kind: unknown kind “label”" },
  { "forward-unknown-tap", "{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"m\", \"input\": \"i\","
    " \"images\": \"x\", \"taps\": [\"blocks\", \"grads\"]}]}", VT_SPEC_ERROR_INVALID,
    "$.steps[0].taps[1]: “grads” is not one of outputs, blocks, attention" },
  { "forward-missing-input", "{\"steps\": [{\"kind\": \"forward\", \"checkpoint\": \"m\", \"images\": \"x\"}]}",
    VT_SPEC_ERROR_INVALID, "$.steps[0].input: missing" },
  { "missing-checkpoint", "{\"steps\": [{\"kind\": \"inspect\"}]}", VT_SPEC_ERROR_INVALID, "$.steps[0].checkpoint: missing" },
  { "checkpoint-not-string", "{\"steps\": [{\"kind\": \"inspect\", \"checkpoint\": 5}]}", VT_SPEC_ERROR_INVALID,
    "$.steps[0].checkpoint: expected a non-empty string" },
  { "unknown-step-key", STEP (", \"bin\": 3"), VT_SPEC_ERROR_INVALID, "$.steps[0].bin: unknown key" },
  { "bins-not-integer", STEP (", \"bins\": \"many\""), VT_SPEC_ERROR_INVALID, "$.steps[0].bins: expected an integer from 2 to 4096" },
  { "bins-too-large", STEP (", \"bins\": 100000"), VT_SPEC_ERROR_INVALID, "$.steps[0].bins: expected an integer from 2 to 4096" },
  { "bins-fractional", STEP (", \"bins\": 2.5"), VT_SPEC_ERROR_INVALID, "$.steps[0].bins: expected an integer" },
  { "histograms-not-list", STEP (", \"histograms\": \"w\""), VT_SPEC_ERROR_INVALID, "$.steps[0].histograms: expected a list of strings" },
  { "histogram-not-string", STEP (", \"histograms\": [\"w\", 2]"), VT_SPEC_ERROR_INVALID, "$.steps[0].histograms[1]: expected a string" },
  { "unknown-format", STEP (", \"formats\": [\"png\", \"jpg\"]"), VT_SPEC_ERROR_INVALID,
    "$.steps[0].formats[1]: “jpg” is not one of png, svg, pdf" },
  { "no-formats", STEP (", \"formats\": []"), VT_SPEC_ERROR_INVALID, "$.steps[0].formats: expected at least one entry" },
  { "bad-id", STEP (", \"id\": \"a/b\""), VT_SPEC_ERROR_INVALID, "$.steps[0].id: “a/b” must be unique" },
  { "duplicate-id",
    "{\"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"m\", \"id\": \"x\"},"
    " {\"kind\": \"inspect\", \"checkpoint\": \"m\", \"id\": \"x\"}]}", VT_SPEC_ERROR_INVALID, "$.steps[1].id: “x” must be unique" },
  /* Found while writing fuzz-spec's checks: numbers JSON holds that a
   * float or the resize (crop / crop_pct, an int) does not, refused within
   * the ranges config.json's numbers are held to (vt-transform.h). */
  { "std-underflows", TRANSFORM ("\"std\": [1e-50, 1, 1]"), VT_SPEC_ERROR_INVALID,
    "$.steps[0].transform.std[0]: expected a number from 1e-06 to 1000" },
  { "mean-overflows", TRANSFORM ("\"mean\": [0, 1e39, 0]"), VT_SPEC_ERROR_INVALID,
    "$.steps[0].transform.mean[1]: expected a number from -1000 to 1000" },
  { "crop-pct-tiny", TRANSFORM ("\"crop_pct\": 1e-9"), VT_SPEC_ERROR_INVALID,
    "$.steps[0].transform.crop_pct: expected a number above 0.1 and at most 1" },
  { "second-step-bad",
    "{\"steps\": [{\"kind\": \"inspect\", \"checkpoint\": \"m\"}, {\"kind\": \"inspect\", \"checkpoint\": \"\"}]}",
    VT_SPEC_ERROR_INVALID, "$.steps[1].checkpoint: expected a non-empty string" },
  /* These gave a Json-CRITICAL (fatal in the tests) before any message. */
  { "empty", "", VT_SPEC_ERROR_PARSE, "is empty" },
  { "white-space", " \n\t", VT_SPEC_ERROR_PARSE, "is empty" },
  { "comment-only", "/* the steps come later */", VT_SPEC_ERROR_PARSE, "holds no JSON value, only comments" },
  /* json-glib keeps the last of the two silently. */
  { "duplicate-key", STEP (", \"bins\": 3, \"bins\": 4"), VT_SPEC_ERROR_INVALID,
    "$.steps[0]: “bins” is given twice (the second time on line 1)" },
  { "duplicate-top-key", "{\"name\": \"a\",\n \"steps\": [],\n \"name\": \"b\"}", VT_SPEC_ERROR_INVALID,
    "$: “name” is given twice (the second time on line 3)" },
  /* Brackets in strings and comments do not nest; an escaped quote does
   * not end a string. The spec is refused for its steps, not its depth. */
  { "brackets-in-strings", "{\"name\": \"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\","
    " /* [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ */ \"steps\": 1}",
    VT_SPEC_ERROR_INVALID, "$.steps: expected a non-empty list" },
};

static void
test_bad_spec (gconstpointer data)
{
  const BadSpec *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (c->json, "/specs", &error);

  g_assert_null (spec);
  g_assert_error (error, VT_SPEC_ERROR, c->code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, c->message) == NULL)
    g_error ("message “%s” lacks “%s”", error->message, c->message);
}

static void
test_load_names_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = NULL;
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp ("spec-XXXXXX.json", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, "{\"steps\": 1}", -1, &error);
  g_assert_no_error (error);
  spec = vt_spec_load (path, &error);
  g_assert_null (spec);
  g_assert_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_clear_error (&error);
  g_remove (path);

  spec = vt_spec_load ("/nonexistent/spec.json", &error);
  g_assert_null (spec);
  g_assert_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "/nonexistent/spec.json"));
}

/* 100,000 nested “[” overflowed json-glib's recursive parser (SIGSEGV);
 * now the file is refused, named, with where the nesting got too deep. */
static void
test_deep_nesting (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = NULL;
  g_autofree char *path = NULL;
  g_autofree char *nested = vt_test_nested_json (100000);
  g_autofree char *text = g_strdup_printf ("{\"name\": \"deep\",\n \"steps\": %s}", nested);
  int fd = g_file_open_tmp ("spec-XXXXXX.json", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  spec = vt_spec_load (path, &error);
  g_assert_null (spec);
  g_assert_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_PARSE);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  /* “{” and 64 “[” make 65 levels; the first “[” is at byte offset 27
   * (on line 2), the 64th at 27 + 63. */
  g_assert_nonnull (strstr (error->message, ": line 2, byte offset 90: JSON nests deeper than 64 levels"));
  g_remove (path);

  /* 64 levels, the limit, still read. */
  g_clear_pointer (&nested, g_free);
  nested = vt_test_nested_json (63);
  g_free (text);
  text = g_strdup_printf ("{\"name\": \"deep\", \"steps\": %s}", nested);
  g_clear_error (&error);
  spec = vt_spec_new_from_data (text, "/specs", &error);
  g_assert_null (spec);
  g_assert_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID);
}

/* Every key of every kind, none at its default: the spec written back
 * (vt_spec_to_json) holds each key with the value read, and reads back to
 * the same JSON again. */
static void
test_to_json_keeps_keys (void)
{
  static const char json[] =
    "{\"name\": \"every key\", \"steps\": ["
    " {\"kind\": \"inspect\", \"id\": \"i\", \"checkpoint\": \"m.safetensors\", \"histograms\": [\"w\"], \"bins\": 32,"
    "  \"tensor_histograms\": true, \"formats\": [\"svg\"]},"
    " {\"kind\": \"forward\", \"id\": \"f\", \"checkpoint\": \"m\", \"input\": \"in.safetensors\", \"images\": \"px\","
    "  \"tokens\": \"ids\", \"taps\": [\"outputs\", \"attention\"]},"
    " {\"kind\": \"evaluate\", \"id\": \"e\", \"checkpoint\": \"m\", \"dataset\": \"d\", \"split\": \"test\","
    "  \"coarse_labels\": true, \"transform\": {\"crop\": 20, \"crop_pct\": 0.9, \"interpolation\": \"bicubic\","
    "  \"mean\": [0.5, 0.25, 0.125], \"std\": [0.5, 0.5, 0.25], \"normalize\": true}, \"batch\": 7,"
    "  \"skip_unreadable\": true, \"class_match\": \"index\", \"formats\": [\"png\", \"pdf\"]},"
    " {\"kind\": \"extract\", \"id\": \"x\", \"checkpoint\": \"m\", \"dataset\": \"d\", \"transform\": {\"resize\": 40,"
    "  \"normalize\": false}, \"store\": \"s.safetensors\", \"logits\": true, \"verify\": true},"
    " {\"kind\": \"incremental\", \"id\": \"n\", \"train\": \"x\", \"test\": \"x\", \"split\": \"B2-Inc4\","
    "  \"order\": \"given\", \"seed\": 7, \"methods\": [\"nmc\", \"gda\"], \"gda_shrinkage\": \"ridge\","
    "  \"gda_ridge\": 0.5, \"ranpac_dim\": 300, \"ranpac_seed\": 3, \"formats\": [\"svg\"]},"
    " {\"kind\": \"project\", \"id\": \"p\", \"store\": \"x\", \"method\": \"umap\", \"dimensions\": 2, \"samples\": 99,"
    "  \"perplexity\": 12.5, \"early_exaggeration\": 8, \"learning_rate\": 150, \"iterations\": 300,"
    "  \"theta\": 0.25, \"tsne_method\": \"exact\", \"init\": \"random\", \"seed\": 5, \"n_neighbors\": 9,"
    "  \"neighbors\": \"approximate\", \"min_dist\": 0.2, \"epochs\": 50, \"negative_sample_rate\": 3,"
    "  \"color\": \"task\", \"task_classes\": 2, \"quality\": false, \"layout_every\": 4,"
    "  \"formats\": [\"png\"]},"
    " {\"kind\": \"extract\", \"id\": \"c\", \"checkpoint\": \"m\", \"dataset\": \"d\", \"cache\": true},"
    " {\"kind\": \"predict\", \"id\": \"q\", \"checkpoint\": \"m\", \"images\": [\"a.jpg\", \"b,c.png\"], \"top\": 3,"
    "  \"classes\": [\"cat\", \"dog\"], \"prompt\": \"a {} here\", \"batch\": 2},"
    " {\"kind\": \"predict\", \"id\": \"r\", \"checkpoint\": \"m\", \"dataset\": \"d\", \"split\": \"train\","
    "  \"classes\": \"names.txt\"},"
    " {\"kind\": \"glyph_dataset\", \"id\": \"g\", \"glyphs\": \"idx\", \"backgrounds\": \"bg\", \"output\": \"out\","
    "  \"size\": 48, \"glyph_min\": 12, \"glyph_max\": 40, \"train_images\": 700, \"test_images\": 70, \"seed\": 17,"
    "  \"spurious\": true, \"agreement\": 0.75, \"threshold\": 10, \"color\": [1, 2, 3]}"
    "]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, "/specs", &error);
  g_autoptr(JsonNode) given = json_from_string (json, NULL);
  g_autoptr(JsonNode) written = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again_text = NULL;
  g_autoptr(VtSpec) again = NULL;
  JsonArray *given_steps, *written_steps;

  g_assert_no_error (error);
  written = vt_spec_to_json (spec);
  given_steps = json_object_get_array_member (json_node_get_object (given), "steps");
  written_steps = json_object_get_array_member (json_node_get_object (written), "steps");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (written), "name"), ==, "every key");
  g_assert_cmpuint (json_array_get_length (written_steps), ==, json_array_get_length (given_steps));
  for (guint i = 0; i < json_array_get_length (given_steps); i++)
    {
      JsonObject *a = json_array_get_object_element (given_steps, i);
      JsonObject *b = json_array_get_object_element (written_steps, i);
      g_autoptr(GList) members = json_object_get_members (a);

      for (GList *m = members; m; m = m->next)
        {
          JsonNode *want = json_object_get_member (a, m->data);
          JsonNode *got = json_object_get_member (b, m->data);

          if (got == NULL || !json_node_equal (want, got))
            {
              g_autofree char *w = json_to_string (want, FALSE);
              g_autofree char *g = got ? json_to_string (got, FALSE) : g_strdup ("(missing)");
              /* A transform written whole may add "normalize": compare what was given. */
              if (got && JSON_NODE_HOLDS_OBJECT (want) && JSON_NODE_HOLDS_OBJECT (got))
                {
                  g_autoptr(GList) keys = json_object_get_members (json_node_get_object (want));
                  for (GList *k = keys; k; k = k->next)
                    g_assert_true (json_node_equal (json_object_get_member (json_node_get_object (want), k->data),
                                                    json_object_get_member (json_node_get_object (got), k->data)));
                  continue;
                }
              g_error ("$.steps[%u].%s: written as %s, given as %s", i, (char *) m->data, g, w);
            }
        }
    }
  text = vt_spec_to_data (spec);
  again = vt_spec_new_from_data (text, "/specs", &error);
  g_assert_no_error (error);
  again_text = vt_spec_to_data (again);
  g_assert_cmpstr (again_text, ==, text);
}

/* Steps built by their constructors (the window's way) and added to a
 * spec in code give the defaults a spec file gives, and the default ids. */
static void
test_constructors (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) built = vt_spec_new ("built", "/specs");
  g_autoptr(VtSpec) read = vt_spec_new_from_data (
    "{\"name\": \"built\", \"steps\": ["
    " {\"kind\": \"inspect\", \"checkpoint\": \"m\"},"
    " {\"kind\": \"forward\", \"checkpoint\": \"m\", \"input\": \"i\", \"images\": \"px\"},"
    " {\"kind\": \"evaluate\", \"checkpoint\": \"m\", \"dataset\": \"d\"},"
    " {\"kind\": \"extract\", \"checkpoint\": \"m\", \"dataset\": \"d\"},"
    " {\"kind\": \"extract\", \"checkpoint\": \"m\", \"dataset\": \"d\"},"
    " {\"kind\": \"incremental\", \"train\": \"extract\", \"test\": \"extract-2\", \"split\": \"B0-Inc10\"},"
    " {\"kind\": \"project\", \"store\": \"extract\", \"method\": \"pca\"},"
    " {\"kind\": \"predict\", \"checkpoint\": \"m\", \"images\": [\"a.jpg\"]},"
    " {\"kind\": \"glyph_dataset\", \"backgrounds\": \"bg\"}]}", "/specs", &error);
  static const char * const images[] = { "a.jpg", NULL };
  VtForwardStep *forward = vt_forward_step_new (NULL, "m", "i");
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_assert_no_error (error);
  forward->images = g_strdup ("px");
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_inspect_step_new (NULL, "m"), &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) forward, &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_evaluate_step_new (NULL, "m", "d"), &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_extract_step_new (NULL, "m", "d"), &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_extract_step_new (NULL, "m", "d"), &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_incremental_step_new (NULL, "extract", "extract-2", "B0-Inc10"),
                                   &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_project_step_new (NULL, "extract", VT_EMBEDDING_PCA), &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_predict_step_new (NULL, "m", images), &error));
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_glyphs_step_new (NULL, "bg"), &error));
  g_assert_no_error (error);
  a = vt_spec_to_data (built);
  b = vt_spec_to_data (read);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (((VtIncrementalStep *) g_ptr_array_index (built->steps, 5))->stages.step, ==, 10);

  /* A taken id is refused, naming it. */
  g_assert_false (vt_spec_add_step (built, (VtStep *) vt_inspect_step_new ("extract", "m"), &error));
  g_assert_error (error, VT_SPEC_ERROR, VT_SPEC_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "$.steps[9].id: “extract”"));
}

/* The attribute step: every key, none at its default, written back as
 * read (a method with options as an object, one without as its name); the
 * window's constructor gives what a spec with the defaults gives. */
static void
test_attribute_keys (void)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "dataset", "split", "samples", "methods", "layer",
                                       "target", "batch", "formats", NULL };
  static const char json[] =
    "{\"steps\": ["
    " {\"kind\": \"attribute\", \"id\": \"a\", \"checkpoint\": \"m\", \"dataset\": \"d\", \"split\": \"test\","
    "  \"samples\": [4, 2], \"methods\": [\"hirescam\", {\"name\": \"scorecam\", \"score_batch\": 3}],"
    "  \"layer\": \"layer2\", \"target\": [1, 7], \"batch\": 5, \"formats\": [\"pdf\"]},"
    " {\"kind\": \"attribute\", \"id\": \"b\", \"checkpoint\": \"m\", \"input\": \"x.safetensors\","
    "  \"images\": \"px\", \"methods\": [\"eigencam\", {\"name\": \"ig\", \"rule\": \"riemann_trapezoid\","
    "  \"steps\": 20, \"baseline\": \"blur\", \"blur_sigma\": 2.5, \"seed\": 3},"
    "  {\"name\": \"smoothgrad\", \"samples\": 8, \"noise_level\": 0.25}, \"gradient_rollout\"], \"target\": 3}"
    "]}";
  static const char * const files[] = { "a.jpg", NULL };
  static const char * const methods[] = { "gradcam", "layercam", NULL };
  static const char * const unknown[] = { "gradcam", "saliency", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, "/specs", &error);
  g_autoptr(JsonNode) given = json_from_string (json, NULL);
  g_autoptr(JsonNode) written = NULL;
  g_autoptr(VtSpec) built = vt_spec_new ("built", "/specs");
  g_autoptr(VtSpec) read = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  JsonArray *given_steps, *written_steps;

  g_assert_no_error (error);
  written = vt_spec_to_json (spec);
  given_steps = json_object_get_array_member (json_node_get_object (given), "steps");
  written_steps = json_object_get_array_member (json_node_get_object (written), "steps");
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *want = json_array_get_object_element (given_steps, i);
      JsonObject *got = json_array_get_object_element (written_steps, i);
      g_autoptr(GList) members = json_object_get_members (want);

      for (GList *m = members; m; m = m->next)
        {
          JsonNode *value = json_object_get_member (got, m->data);

          if (value == NULL || !json_node_equal (json_object_get_member (want, m->data), value))
            g_error ("$.steps[%u].%s: not written as given", i, (const char *) m->data);
        }
    }
  for (guint k = 0; keys[k]; k++)
    g_assert_true (json_object_has_member (json_array_get_object_element (given_steps, 0), keys[k]));
  /* Preprocessed images take no transform; no step takes skip_unreadable. */
  g_assert_false (json_object_has_member (json_array_get_object_element (written_steps, 1), "transform"));
  g_assert_false (json_object_has_member (json_array_get_object_element (written_steps, 0), "skip_unreadable"));

  read = vt_spec_new_from_data ("{\"name\": \"built\", \"steps\": [{\"kind\": \"attribute\", \"checkpoint\": \"m\","
                                " \"files\": [\"a.jpg\"], \"methods\": [\"gradcam\", \"layercam\"]}]}", "/specs", &error);
  g_assert_no_error (error);
  g_assert_true (vt_spec_add_step (built, (VtStep *) vt_attribute_step_new (NULL, "m", files, methods), &error));
  g_assert_no_error (error);
  a = vt_spec_to_data (built);
  b = vt_spec_to_data (read);
  g_assert_cmpstr (a, ==, b);
  g_assert_null (vt_attribute_step_new (NULL, "m", files, unknown));
}

/* The faithfulness step: every key, none at its default, written back as
 * read (a metric with options as an object, one without as its name). */
static void
test_faithfulness_keys (void)
{
  static const char * const keys[] = { "kind", "id", "checkpoint", "dataset", "split", "samples", "methods", "layer",
                                       "target", "metrics", "batch", "transform", "extra_maps", "formats", NULL };
  static const char json[] =
    "{\"steps\": ["
    " {\"kind\": \"faithfulness\", \"id\": \"f\", \"checkpoint\": \"m\", \"dataset\": \"d\", \"split\": \"test\","
    "  \"extra_maps\": [\"cm\", \"other-maps.safetensors\"],"
    "  \"samples\": [4, 2], \"methods\": [\"gradcam\", {\"name\": \"ig\", \"steps\": 20}], \"layer\": \"layer2\","
    "  \"target\": [1, 7], \"batch\": 5, \"transform\": {\"resize\": 40, \"crop\": 32},"
    "  \"metrics\": [{\"name\": \"deletion\", \"steps\": 16, \"substrate\": \"blur\"},"
    "  {\"name\": \"insertion\", \"steps\": 8, \"substrate\": \"zeros\"},"
    "  {\"name\": \"road\", \"percentages\": [20, 50.5], \"order\": \"lerf\", \"seed\": 4},"
    "  {\"name\": \"road_confidence_change\", \"order\": \"morf\"}, \"pixel_ap\", \"comet_ap\","
    "  {\"name\": \"pointing_game\", \"tolerance\": 3}, \"iou_curve\","
    "  {\"name\": \"randomization\", \"order\": \"independent\", \"seed\": 5, \"layers\": [\"head\", \"layer3.2\"],"
    "   \"maps\": true}], \"formats\": [\"svg\"]},"
    " {\"kind\": \"faithfulness\", \"id\": \"g\", \"checkpoint\": \"m\", \"dataset\": \"d\","
    "  \"methods\": [\"gradient\"], \"target\": 3, \"metrics\": [\"road\"]}"
    "]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, "/specs", &error);
  g_autoptr(JsonNode) given = json_from_string (json, NULL);
  g_autoptr(JsonNode) written = NULL;
  g_autoptr(VtSpec) again = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  JsonArray *given_steps, *written_steps;

  g_assert_no_error (error);
  written = vt_spec_to_json (spec);
  given_steps = json_object_get_array_member (json_node_get_object (given), "steps");
  written_steps = json_object_get_array_member (json_node_get_object (written), "steps");
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *want = json_array_get_object_element (given_steps, i);
      JsonObject *got = json_array_get_object_element (written_steps, i);
      g_autoptr(GList) members = json_object_get_members (want);

      for (GList *m = members; m; m = m->next)
        {
          JsonNode *value = json_object_get_member (got, m->data);

          /* A transform is written out in full (every field), so the
           * round trip below checks it. */
          if (g_str_equal (m->data, "transform"))
            {
              g_assert_nonnull (value);
              g_assert_cmpint (json_object_get_int_member (json_node_get_object (value), "resize"), ==, 40);
              g_assert_cmpint (json_object_get_int_member (json_node_get_object (value), "crop"), ==, 32);
            }
          else if (value == NULL || !json_node_equal (json_object_get_member (want, m->data), value))
            g_error ("$.steps[%u].%s: not written as given", i, (const char *) m->data);
        }
    }
  for (guint k = 0; keys[k]; k++)
    g_assert_true (json_object_has_member (json_array_get_object_element (given_steps, 0), keys[k]));
  /* What is written reads back to the same spec. */
  a = vt_spec_to_data (spec);
  again = vt_spec_new_from_data (a, "/specs", &error);
  g_assert_no_error (error);
  b = vt_spec_to_data (again);
  g_assert_cmpstr (a, ==, b);
}

/* Every key of the comet step is written back as read (the detector
 * standing where the other steps have "checkpoint"), and what is written
 * reads back to the same spec. */
static void
test_comet_keys (void)
{
  static const char * const keys[] = { "kind", "id", "detector", "dataset", "split", "coarse_labels", "batch",
                                       "test_split", "train_limit", "test_limit", "epochs", "a", "g", "b", "tau",
                                       "lr", "weight_decay", "milestones", "gamma", "warmup_epochs", "seed",
                                       "shuffle", "predictor_depth", "selector_width", "detector_batchnorm",
                                       "formats", NULL };
  static const char json[] =
    "{\"steps\": [{\"kind\": \"comet\", \"id\": \"c\", \"detector\": \"m\", \"dataset\": \"d\", \"split\": \"train\","
    " \"coarse_labels\": false, \"batch\": 16, \"test_split\": \"test\", \"train_limit\": 100, \"test_limit\": 50,"
    " \"epochs\": 4, \"a\": 3.5, \"g\": 1.5, \"b\": 50.5, \"tau\": 0.55, \"lr\": 0.001, \"weight_decay\": 0.05,"
    " \"milestones\": [2, 3], \"gamma\": 0.5, \"warmup_epochs\": 1, \"seed\": 9, \"shuffle\": false,"
    " \"predictor_depth\": 14, \"selector_width\": 12, \"detector_batchnorm\": \"train\", \"formats\": [\"svg\"]}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(VtSpec) spec = vt_spec_new_from_data (json, "/specs", &error);
  g_autoptr(JsonNode) given = json_from_string (json, NULL);
  g_autoptr(JsonNode) written = NULL;
  g_autoptr(VtSpec) again = NULL;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  JsonObject *want, *got;

  g_assert_no_error (error);
  written = vt_spec_to_json (spec);
  want = json_array_get_object_element (json_object_get_array_member (json_node_get_object (given), "steps"), 0);
  got = json_array_get_object_element (json_object_get_array_member (json_node_get_object (written), "steps"), 0);
  for (guint k = 0; keys[k]; k++)
    {
      JsonNode *value = json_object_get_member (got, keys[k]);

      g_assert_true (json_object_has_member (want, keys[k]));
      if (value == NULL || !json_node_equal (json_object_get_member (want, keys[k]), value))
        g_error ("$.steps[0].%s: not written as given", keys[k]);
    }
  g_assert_false (json_object_has_member (got, "checkpoint"));
  a = vt_spec_to_data (spec);
  again = vt_spec_new_from_data (a, "/specs", &error);
  g_assert_no_error (error);
  b = vt_spec_to_data (again);
  g_assert_cmpstr (a, ==, b);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/spec/valid", test_valid);
  g_test_add_func ("/engine/spec/to-json-keeps-keys", test_to_json_keeps_keys);
  g_test_add_func ("/engine/spec/constructors", test_constructors);
  g_test_add_func ("/engine/spec/attribute-keys", test_attribute_keys);
  g_test_add_func ("/engine/spec/faithfulness-keys", test_faithfulness_keys);
  g_test_add_func ("/engine/spec/comet-keys", test_comet_keys);
  for (guint i = 0; i < G_N_ELEMENTS (bad_specs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/engine/spec/%s", bad_specs[i].name);
      g_test_add_data_func (name, &bad_specs[i], test_bad_spec);
    }
  g_test_add_func ("/engine/spec/load-names-file", test_load_names_file);
  g_test_add_func ("/engine/spec/deep-nesting", test_deep_nesting);
  return g_test_run ();
}
