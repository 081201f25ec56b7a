/* vt-json.h: the one way the engine and the window read JSON.
 *
 * json-glib's parser recurses once per nested [ or {, so a small file of
 * 80,000 “[” overflows the stack; it keeps the last of two members with the
 * same name without a word; and it “succeeds” on empty or comment-only text
 * with no root, which callers then trip over. Every JSON read goes through
 * here instead, which refuses all three with a message that names the file
 * (and the line, byte or JSON path). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* No file Vitrine reads (specs, config.json, shard indexes, safetensors
 * headers, vocabularies, lists, results) nests more than a handful of
 * levels; 64 leaves room and keeps json-glib's recursion a few kilobytes
 * deep even on a worker thread's small stack. */
#define VT_JSON_MAX_DEPTH 64

#define VT_JSON_ERROR (vt_json_error_quark ())
GQuark vt_json_error_quark (void);

typedef enum
{
  VT_JSON_ERROR_READ,       /* the file cannot be read */
  VT_JSON_ERROR_EMPTY,      /* no bytes, white space, or only comments */
  VT_JSON_ERROR_DEPTH,      /* nested deeper than VT_JSON_MAX_DEPTH */
  VT_JSON_ERROR_SYNTAX,     /* json-glib's own parse error */
  VT_JSON_ERROR_DUPLICATE,  /* an object names one member twice */
  VT_JSON_ERROR_SHAPE,      /* well-formed, but not what was asked for (vt-json-reader.h) */
} VtJsonError;

/* Parses @length bytes of @text (-1: up to its NUL) into a new node.
 * @name says where the text came from (a file, or “file: metadata “key””)
 * and begins every message; NULL leaves the naming to the caller. */
JsonNode *vt_json_parse     (const char  *text,
                             gssize       length,
                             const char  *name,
                             GError     **error);
/* The same for the file at @path, named by its path. */
JsonNode *vt_json_load_file (const char  *path,
                             GError     **error);

G_END_DECLS
