/* vt-step-glyphs.h: the "glyphs" step's options (vt-glyph-dataset.h's,
 * and where the dataset goes) and its constructor. */
#pragma once

#include "run/vt-step.h"
#include "io/vt-glyph-dataset.h"

G_BEGIN_DECLS

typedef struct
{
  VtStep                 base;
  VtGlyphDatasetOptions  options;   /* paths as the spec gives them */
  char                  *output;    /* NULL: <results folder>/<step id> */
} VtGlyphsStep;

/* The defaults, with @backgrounds (copied). */
VtGlyphsStep *vt_glyphs_step_new (const char *id,
                                  const char *backgrounds);

G_END_DECLS
