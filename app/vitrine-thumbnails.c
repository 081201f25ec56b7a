/* vitrine-thumbnails.c: decoding thumbnails in a thread pool.
 *
 * The pool's threads see only the shared Decoder (the dataset and the
 * size); what they make goes back to the main context, where the cache and
 * the bound pictures live. A Decoder outlives its VitrineThumbnails while
 * threads still hold it, and then delivers nothing. */
#include "vitrine-thumbnails.h"

#include "io/vt-resize.h"

/* Beyond this many cached textures the cache starts over. */
#define MAX_CACHED 4096

typedef struct
{
  VtDataset          *dataset;
  int                 size;
  gint                alive;          /* atomic; 0 once the owner is gone */
  VitrineThumbnails  *owner;          /* main thread only, when alive */
} Decoder;

struct _VitrineThumbnails
{
  Decoder      *decoder;
  GThreadPool  *pool;
  GHashTable   *cache;          /* index → GdkTexture */
  GHashTable   *pending;        /* indices being decoded */
  GHashTable   *bound;          /* GtkPicture → index */
  GHashTable   *errors;         /* index → why it cannot be decoded */
  GdkPaintable *broken;         /* the mark of those, made when first needed */
};

typedef struct
{
  Decoder  *decoder;
  guint     index;
  GBytes   *rgb;
  char     *error;      /* when it cannot be decoded */
  int       width;
  int       height;
} Delivery;

static void
decoder_free (Decoder *decoder)
{
  vt_dataset_unref (decoder->dataset);
}

static void
decoder_unref (Decoder *decoder)
{
  g_atomic_rc_box_release_full (decoder, (GDestroyNotify) decoder_free);
}

static void
delivery_free (Delivery *delivery)
{
  decoder_unref (delivery->decoder);
  g_clear_pointer (&delivery->rgb, g_bytes_unref);
  g_free (delivery->error);
  g_free (delivery);
}

/* An undecodable sample's cell shows a "broken image" icon, styled
 * "unreadable", rather than staying blank as if still on its way. */
static void
show_broken (VitrineThumbnails *self,
             GtkPicture        *picture)
{
  if (self->broken == NULL)
    self->broken = GDK_PAINTABLE (gtk_icon_theme_lookup_icon (gtk_icon_theme_get_for_display (gtk_widget_get_display (GTK_WIDGET (picture))),
                                                              "image-missing", NULL, self->decoder->size / 2, 1,
                                                              GTK_TEXT_DIR_NONE, 0));
  gtk_picture_set_paintable (picture, self->broken);
  gtk_widget_add_css_class (GTK_WIDGET (picture), "unreadable");
}

/* Main thread: cache the texture and show it where its sample is bound. */
static gboolean
deliver (gpointer data)
{
  Delivery *delivery = data;
  VitrineThumbnails *self = delivery->decoder->owner;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GPtrArray) showing = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer picture, index;

  if (!g_atomic_int_get (&delivery->decoder->alive))
    return G_SOURCE_REMOVE;
  g_hash_table_remove (self->pending, GUINT_TO_POINTER (delivery->index));
  if (delivery->rgb != NULL)
    {
      texture = gdk_memory_texture_new (delivery->width, delivery->height, GDK_MEMORY_R8G8B8,
                                        delivery->rgb, (gsize) delivery->width * 3);
      if (g_hash_table_size (self->cache) >= MAX_CACHED)
        g_hash_table_remove_all (self->cache);
      g_hash_table_insert (self->cache, GUINT_TO_POINTER (delivery->index), g_object_ref (texture));
    }
  else
    /* Kept whatever the cache does: a few names, not pixels. */
    g_hash_table_insert (self->errors, GUINT_TO_POINTER (delivery->index), g_steal_pointer (&delivery->error));
  /* Collect first: showing a picture may bind or unbind cells. */
  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, &picture, &index))
    if (GPOINTER_TO_UINT (index) == delivery->index)
      g_ptr_array_add (showing, g_object_ref (picture));
  for (guint i = 0; i < showing->len; i++)
    if (texture != NULL)
      gtk_picture_set_paintable (g_ptr_array_index (showing, i), GDK_PAINTABLE (texture));
    else
      show_broken (self, g_ptr_array_index (showing, i));
  return G_SOURCE_REMOVE;
}

/* Pool thread. */
static void
decode (gpointer data,
        gpointer user_data)
{
  Delivery *delivery = data;
  Decoder *decoder = delivery->decoder;

  if (g_atomic_int_get (&decoder->alive))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(VtImage) image = vt_dataset_load_image (decoder->dataset, delivery->index, &error);
      g_autoptr(VtImage) small = NULL;

      if (image == NULL)
        delivery->error = g_strdup (error->message);

      if (image != NULL)
        {
          int longer = MAX (image->width, image->height);
          if (longer > decoder->size)
            small = vt_image_resize (image, MAX (1, image->width * decoder->size / longer),
                                     MAX (1, image->height * decoder->size / longer), VT_RESAMPLE_BILINEAR);
          image = small ? g_steal_pointer (&small) : image;
          delivery->width = image->width;
          delivery->height = image->height;
          delivery->rgb = g_bytes_new_take (g_steal_pointer (&image->rgb), (gsize) delivery->width * delivery->height * 3);
        }
    }
  /* Always queued: g_main_context_invoke would run it here, in this thread,
   * whenever the main thread is not iterating. */
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, deliver, delivery, (GDestroyNotify) delivery_free);
}

VitrineThumbnails *
vitrine_thumbnails_new (VtDataset *dataset,
                        int        size)
{
  VitrineThumbnails *self = g_new0 (VitrineThumbnails, 1);

  self->decoder = g_atomic_rc_box_new0 (Decoder);
  self->decoder->dataset = vt_dataset_ref (dataset);
  self->decoder->size = size;
  self->decoder->alive = 1;
  self->decoder->owner = self;
  self->pool = g_thread_pool_new_full (decode, NULL, (GDestroyNotify) delivery_free, 2, FALSE, NULL);
  self->cache = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->pending = g_hash_table_new (NULL, NULL);
  self->bound = g_hash_table_new (NULL, NULL);
  self->errors = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return self;
}

void
vitrine_thumbnails_free (VitrineThumbnails *self)
{
  if (self == NULL)
    return;
  g_atomic_int_set (&self->decoder->alive, 0);
  /* Queued decodes are dropped; running ones finish into the void. */
  g_thread_pool_free (self->pool, TRUE, FALSE);
  decoder_unref (self->decoder);
  g_hash_table_unref (self->cache);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->bound);
  g_hash_table_unref (self->errors);
  g_clear_object (&self->broken);
  g_free (self);
}

void
vitrine_thumbnails_bind (VitrineThumbnails *self,
                         GtkPicture        *picture,
                         guint              index)
{
  GdkTexture *texture = g_hash_table_lookup (self->cache, GUINT_TO_POINTER (index));

  g_hash_table_insert (self->bound, picture, GUINT_TO_POINTER (index));
  if (g_hash_table_contains (self->errors, GUINT_TO_POINTER (index)))
    {
      show_broken (self, picture);
      return;
    }
  gtk_picture_set_paintable (picture, texture ? GDK_PAINTABLE (texture) : NULL);
  if (texture == NULL && !g_hash_table_contains (self->pending, GUINT_TO_POINTER (index)))
    {
      Delivery *delivery = g_new0 (Delivery, 1);

      delivery->decoder = g_atomic_rc_box_acquire (self->decoder);
      delivery->index = index;
      g_hash_table_add (self->pending, GUINT_TO_POINTER (index));
      g_thread_pool_push (self->pool, delivery, NULL);
    }
}

void
vitrine_thumbnails_unbind (VitrineThumbnails *self,
                           GtkPicture        *picture)
{
  g_hash_table_remove (self->bound, picture);
  gtk_picture_set_paintable (picture, NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (picture), "unreadable");
}

const char *
vitrine_thumbnails_get_error (VitrineThumbnails *self,
                              guint              index)
{
  return g_hash_table_lookup (self->errors, GUINT_TO_POINTER (index));
}

guint
vitrine_thumbnails_get_n_pending (VitrineThumbnails *self)
{
  return g_hash_table_size (self->pending);
}
