/* vitrine-style.c: colour scheme, following the portal. */
#include "vitrine-style.h"

struct _VitrineStyle
{
  GObject      parent_instance;
  char        *scheme;
  gboolean     system_dark;
  GDBusProxy  *portal;
  GCancellable *cancellable;
  GtkCssProvider *dark_css;   /* style-dark.css, on the display while dark */
};

enum {
  PROP_0,
  PROP_SCHEME,
  PROP_DARK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VitrineStyle, vitrine_style, G_TYPE_OBJECT)

#define PORTAL_NAMESPACE "org.freedesktop.appearance"
#define PORTAL_KEY "color-scheme"

gboolean
vitrine_style_get_dark (VitrineStyle *self)
{
  if (g_strcmp0 (self->scheme, "dark") == 0)
    return TRUE;
  if (g_strcmp0 (self->scheme, "light") == 0)
    return FALSE;
  return self->system_dark;
}

static void
apply (VitrineStyle *self)
{
  GtkSettings *settings = gtk_settings_get_default ();

  GdkDisplay *display = gdk_display_get_default ();
  gboolean dark = vitrine_style_get_dark (self);

  if (settings)
    g_object_set (settings, "gtk-application-prefer-dark-theme", dark, NULL);
  /* The theme's dark variant keeps some light-variant colours (its error
   * red reads at 2:1 on the dark window); style-dark.css replaces them. */
  if (display && dark)
    gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (self->dark_css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION + 1);
  else if (display)
    gtk_style_context_remove_provider_for_display (display, GTK_STYLE_PROVIDER (self->dark_css));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DARK]);
}

/* The portal wraps the value in one or two variants depending on version. */
static void
take_portal_value (VitrineStyle *self,
                   GVariant     *value)
{
  g_autoptr(GVariant) inner = g_variant_ref (value);

  while (g_variant_is_of_type (inner, G_VARIANT_TYPE_VARIANT))
    {
      GVariant *next = g_variant_get_variant (inner);
      g_variant_unref (inner);
      inner = next;
    }
  if (!g_variant_is_of_type (inner, G_VARIANT_TYPE_UINT32))
    return;
  /* 0: no preference, 1: prefer dark, 2: prefer light */
  self->system_dark = g_variant_get_uint32 (inner) == 1;
  apply (self);
}

static void
on_portal_signal (GDBusProxy   *proxy,
                  const char   *sender,
                  const char   *signal,
                  GVariant     *parameters,
                  VitrineStyle *self)
{
  const char *ns, *key;
  g_autoptr(GVariant) value = NULL;

  if (g_strcmp0 (signal, "SettingChanged") != 0 ||
      !g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ssv)")))
    return;
  g_variant_get (parameters, "(&s&sv)", &ns, &key, &value);
  if (g_str_equal (ns, PORTAL_NAMESPACE) && g_str_equal (key, PORTAL_KEY))
    take_portal_value (self, value);
}

static void
on_read_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &error);
  g_autoptr(GVariant) value = NULL;

  if (reply == NULL)
    {
      /* No portal (a bare session, a test): stay light. */
      g_debug ("No colour scheme from the settings portal: %s", error->message);
      return;
    }
  g_variant_get (reply, "(v)", &value);
  take_portal_value (VITRINE_STYLE (user_data), value);
}

static void
on_proxy_ready (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  GDBusProxy *proxy = g_dbus_proxy_new_for_bus_finish (result, &error);
  VitrineStyle *self;

  if (proxy == NULL)
    {
      g_debug ("No session bus for the settings portal: %s", error->message);
      return;
    }
  self = VITRINE_STYLE (user_data);
  self->portal = proxy;
  g_signal_connect (proxy, "g-signal", G_CALLBACK (on_portal_signal), self);
  g_dbus_proxy_call (proxy, "Read", g_variant_new ("(ss)", PORTAL_NAMESPACE, PORTAL_KEY),
                     G_DBUS_CALL_FLAGS_NONE, 2000, self->cancellable, on_read_done, self);
}

static void
vitrine_style_dispose (GObject *object)
{
  VitrineStyle *self = VITRINE_STYLE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->portal);
  if (self->dark_css && gdk_display_get_default ())
    gtk_style_context_remove_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (self->dark_css));
  g_clear_object (&self->dark_css);
  G_OBJECT_CLASS (vitrine_style_parent_class)->dispose (object);
}

static void
vitrine_style_finalize (GObject *object)
{
  g_free (VITRINE_STYLE (object)->scheme);
  G_OBJECT_CLASS (vitrine_style_parent_class)->finalize (object);
}

static void
vitrine_style_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  VitrineStyle *self = VITRINE_STYLE (object);

  switch (prop_id)
    {
    case PROP_SCHEME: g_value_set_string (value, self->scheme); break;
    case PROP_DARK: g_value_set_boolean (value, vitrine_style_get_dark (self)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_style_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_SCHEME: vitrine_style_set_scheme (VITRINE_STYLE (object), g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
vitrine_style_class_init (VitrineStyleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = vitrine_style_dispose;
  object_class->finalize = vitrine_style_finalize;
  object_class->get_property = vitrine_style_get_property;
  object_class->set_property = vitrine_style_set_property;

  properties[PROP_SCHEME] =
    g_param_spec_string ("scheme", NULL, NULL, "system",
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DARK] =
    g_param_spec_boolean ("dark", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
vitrine_style_init (VitrineStyle *self)
{
  self->scheme = g_strdup ("system");
  self->cancellable = g_cancellable_new ();
  self->dark_css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (self->dark_css, "/io/github/vitrine/Vitrine/style-dark.css");
  g_dbus_proxy_new_for_bus (G_BUS_TYPE_SESSION,
                            G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES | G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START_AT_CONSTRUCTION,
                            NULL,
                            "org.freedesktop.portal.Desktop",
                            "/org/freedesktop/portal/desktop",
                            "org.freedesktop.portal.Settings",
                            self->cancellable, on_proxy_ready, self);
}

VitrineStyle *
vitrine_style_new (void)
{
  return g_object_new (VITRINE_TYPE_STYLE, NULL);
}

void
vitrine_style_set_scheme (VitrineStyle *self,
                          const char   *scheme)
{
  g_return_if_fail (VITRINE_IS_STYLE (self));
  g_return_if_fail (g_strcmp0 (scheme, "system") == 0 || g_strcmp0 (scheme, "light") == 0 ||
                    g_strcmp0 (scheme, "dark") == 0);

  if (g_strcmp0 (self->scheme, scheme) == 0)
    return;
  g_free (self->scheme);
  self->scheme = g_strdup (scheme);
  apply (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCHEME]);
}

const char *
vitrine_style_get_scheme (VitrineStyle *self)
{
  return self->scheme;
}
