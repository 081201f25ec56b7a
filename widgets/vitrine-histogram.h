/* vitrine-histogram.h: a histogram chart, drawn by widgets/figures/. */
#pragma once

#include <gtk/gtk.h>

#include "run/vt-figure.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_HISTOGRAM (vitrine_histogram_get_type ())
G_DECLARE_FINAL_TYPE (VitrineHistogram, vitrine_histogram, VITRINE, HISTOGRAM, GtkWidget)

GtkWidget      *vitrine_histogram_new         (void);
/* Shows @histogram (copied) under @title; NULL clears the chart. */
void            vitrine_histogram_set_data    (VitrineHistogram  *self,
                                               const char        *title,
                                               const VtHistogram *histogram);
/* What is drawn, or NULL: the same description an export would use. */
const VtFigure *vitrine_histogram_get_figure  (VitrineHistogram  *self);

G_END_DECLS
