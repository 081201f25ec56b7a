/* vitrine-application.h: the GtkApplication: windows, app actions, and the
 * command line (--batch and --version run before any display is opened). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VITRINE_TYPE_APPLICATION (vitrine_application_get_type ())
G_DECLARE_FINAL_TYPE (VitrineApplication, vitrine_application, VITRINE, APPLICATION, GtkApplication)

VitrineApplication *vitrine_application_new (GApplicationFlags flags);

G_END_DECLS
