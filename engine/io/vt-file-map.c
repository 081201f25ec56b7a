/* vt-file-map.c: mappings that a truncation cannot turn into a crash.
 *
 * The SIGBUS handler may only do async-signal-safe work: it walks a list
 * of regions with atomic loads (nodes are never freed, only reused, so it
 * never reads freed memory), and calls mmap, a plain system call. */
#include "vt-file-map.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct _Region Region;
struct _Region
{
  Region    *next;       /* set before the node is published, never changed */
  gpointer   base;       /* atomic; NULL while the node is unused */
  gsize      size;       /* atomic */
  gint       damaged;    /* atomic: set by the handler */
  gboolean   in_use;     /* under regions_lock */
};

static Region *regions;  /* atomic head */
static GMutex regions_lock;
static struct sigaction previous_sigbus;

struct _VtFileMap
{
  char             *path;
  guint8           *data;
  gsize             size;
  dev_t             dev;
  ino_t             ino;
  struct timespec   mtime;
  struct timespec   ctime;     /* no one can set it back, as touch -r can mtime */
  Region           *region;
};

static void
on_sigbus (int        signum,
           siginfo_t *info,
           void      *context)
{
  int saved_errno = errno;
  guint8 *address = info->si_addr;

  for (Region *r = g_atomic_pointer_get (&regions); r != NULL; r = r->next)
    {
      guint8 *base = g_atomic_pointer_get (&r->base);
      gsize size = g_atomic_pointer_get (&r->size);

      if (base == NULL || address < base || address >= base + size)
        continue;
      /* Zero pages in place of the file's: the read that faulted resumes
       * and sees zeros; vt_file_map_check reports the damage. */
      if (mmap (base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED)
        {
          g_atomic_int_set (&r->damaged, 1);
          errno = saved_errno;
          return;
        }
      break;
    }

  /* Not in a mapping of ours: what would have happened without us. The
   * faulting access runs again and meets the previous disposition; a
   * SIGBUS sent by kill() would not come again, so send it again. */
  sigaction (SIGBUS, &previous_sigbus, NULL);
  if (info->si_code <= 0)
    raise (SIGBUS);
  errno = saved_errno;
}

static gpointer
install_handler (gpointer data)
{
  struct sigaction action = { 0 };

  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset (&action.sa_mask);
  sigaction (SIGBUS, &action, &previous_sigbus);
  return NULL;
}

static Region *
region_register (gpointer base,
                 gsize    size)
{
  static GOnce once = G_ONCE_INIT;
  Region *r;

  g_once (&once, install_handler, NULL);
  g_mutex_lock (&regions_lock);
  for (r = regions; r != NULL && r->in_use; r = r->next)
    ;
  if (r == NULL)
    {
      r = g_new0 (Region, 1);
      r->next = regions;
      g_atomic_pointer_set (&regions, r);
    }
  r->in_use = TRUE;
  g_atomic_int_set (&r->damaged, 0);
  g_atomic_pointer_set (&r->size, size);
  g_atomic_pointer_set (&r->base, base);
  g_mutex_unlock (&regions_lock);
  return r;
}

static void
region_unregister (Region *r)
{
  g_mutex_lock (&regions_lock);
  g_atomic_pointer_set (&r->base, NULL);
  g_atomic_pointer_set (&r->size, 0);
  r->in_use = FALSE;
  g_mutex_unlock (&regions_lock);
}

static void
vt_file_map_finalize (VtFileMap *self)
{
  if (self->region)
    region_unregister (self->region);
  if (self->data)
    munmap (self->data, self->size);
  g_free (self->path);
}

VtFileMap *
vt_file_map_new (const char  *path,
                 GError     **error)
{
  g_autoptr(VtFileMap) self = NULL;
  struct stat st;
  void *data;
  int fd, saved;

  g_return_val_if_fail (path != NULL, NULL);

  fd = vt_file_open (path, &st, error);
  if (fd < 0)
    return NULL;
  self = g_atomic_rc_box_new0 (VtFileMap);
  self->path = g_strdup (path);
  self->size = (gsize) st.st_size;
  self->dev = st.st_dev;
  self->ino = st.st_ino;
  self->mtime = st.st_mtim;
  self->ctime = st.st_ctim;
  if (self->size == 0)
    {
      close (fd);
      return g_steal_pointer (&self);
    }
  data = mmap (NULL, self->size, PROT_READ, MAP_PRIVATE, fd, 0);
  saved = errno;
  close (fd);
  if (data == MAP_FAILED)
    {
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_READ, "%s: cannot be mapped into memory: %s",
                   path, g_strerror (saved));
      return NULL;
    }
  self->data = data;
  self->region = region_register (data, self->size);
  return g_steal_pointer (&self);
}

VtFileMap *
vt_file_map_ref (VtFileMap *self)
{
  return g_atomic_rc_box_acquire (self);
}

void
vt_file_map_unref (VtFileMap *self)
{
  g_atomic_rc_box_release_full (self, (GDestroyNotify) vt_file_map_finalize);
}

const char *
vt_file_map_get_path (VtFileMap *self)
{
  return self->path;
}

const guint8 *
vt_file_map_get_data (VtFileMap *self,
                      gsize     *size)
{
  if (size)
    *size = self->size;
  return self->data;
}

GBytes *
vt_file_map_get_bytes (VtFileMap *self)
{
  if (self->data == NULL)
    return g_bytes_new (NULL, 0);
  return g_bytes_new_with_free_func (self->data, self->size, (GDestroyNotify) vt_file_map_unref,
                                     vt_file_map_ref (self));
}

gboolean
vt_file_map_check (VtFileMap  *self,
                   GError    **error)
{
  struct stat st;

  if (self->region && g_atomic_int_get (&self->region->damaged))
    {
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_CHANGED,
                   "%s: the file was cut short while Vitrine was reading it (was it overwritten?); "
                   "the results from it are discarded: open it again once it is complete", self->path);
      return FALSE;
    }
  if (g_stat (self->path, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_CHANGED,
                   "%s: is gone since it was opened (%s); open it again", self->path, g_strerror (saved));
      return FALSE;
    }
  if (st.st_dev != self->dev || st.st_ino != self->ino)
    {
      g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_CHANGED,
                   "%s: was replaced by another file since it was opened; open it again", self->path);
      return FALSE;
    }
  if ((gsize) st.st_size != self->size ||
      st.st_mtim.tv_sec != self->mtime.tv_sec || st.st_mtim.tv_nsec != self->mtime.tv_nsec ||
      st.st_ctim.tv_sec != self->ctime.tv_sec || st.st_ctim.tv_nsec != self->ctime.tv_nsec)
    {
      if ((gsize) st.st_size != self->size)
        g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_CHANGED,
                     "%s: changed on disk since it was opened (%" G_GSIZE_FORMAT " bytes then, %" G_GINT64_FORMAT
                     " now); open it again", self->path, self->size, (gint64) st.st_size);
      else
        g_set_error (error, VT_FILE_ERROR, VT_FILE_ERROR_CHANGED,
                     "%s: changed on disk since it was opened (written to, or its times set); open it again",
                     self->path);
      return FALSE;
    }
  return TRUE;
}
