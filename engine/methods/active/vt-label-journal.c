/* vt-label-journal.c: the append-and-fsync journal of labeling decisions. */
#include "vt-label-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (vt-label-journal-error-quark, vt_label_journal_error)

#define HEADER "vitrine-label-journal 1\n"

struct _VtLabelJournal
{
  char        *path;
  int          fd;
  GArray      *decisions;   /* VtLabelDecision */
  GHashTable  *where;       /* sample (gint64 *, owned) → position in decisions + 1 */
  guint        round;
  char        *damage;
};

/* Rebuilds the sample → position table after positions moved (an undo). */
static void
index_decisions (VtLabelJournal *self)
{
  g_hash_table_remove_all (self->where);
  for (guint i = 0; i < self->decisions->len; i++)
    {
      gint64 *key = g_new (gint64, 1);

      *key = g_array_index (self->decisions, VtLabelDecision, i).sample;
      g_hash_table_insert (self->where, key, GUINT_TO_POINTER (i + 1));
    }
}

static void
apply_decision (VtLabelJournal *self,
                guint           round,
                gint64          sample,
                gint64          label)
{
  guint at = GPOINTER_TO_UINT (g_hash_table_lookup (self->where, &sample));
  VtLabelDecision d = { sample, label, round };

  if (at > 0)
    g_array_index (self->decisions, VtLabelDecision, at - 1) = d;
  else
    {
      gint64 *key = g_new (gint64, 1);

      *key = sample;
      g_array_append_val (self->decisions, d);
      g_hash_table_insert (self->where, key, GUINT_TO_POINTER (self->decisions->len));
    }
  self->round = MAX (self->round, round);
}

static gboolean
apply_undo (VtLabelJournal *self,
            gint64          sample)
{
  guint at = GPOINTER_TO_UINT (g_hash_table_lookup (self->where, &sample));

  if (at == 0)
    return FALSE;
  g_array_remove_index (self->decisions, at - 1);
  index_decisions (self);
  return TRUE;
}

static gboolean
parse_int (const char *text,
           gint64      min,
           gint64      max,
           gint64     *out)
{
  return g_ascii_string_to_signed (text, 10, min, max, out, NULL);
}

/* One event line (without its "\n"); FALSE with @why when it is not one. */
static gboolean
replay_line (VtLabelJournal  *self,
             const char      *line,
             const char     **why)
{
  g_auto(GStrv) fields = g_strsplit (line, "\t", 0);
  guint n = g_strv_length (fields);
  gint64 round, sample, label;

  if (n == 2 && g_str_equal (fields[0], "undo"))
    {
      if (!parse_int (fields[1], 0, G_MAXINT64, &sample))
        return (*why = "the sample is not a number", FALSE);
      if (!apply_undo (self, sample))
        return (*why = "it takes back a decision that was never made", FALSE);
      return TRUE;
    }
  if (n != 3)
    return (*why = "expected “round, sample, label” separated by tabs", FALSE);
  if (!parse_int (fields[0], 0, G_MAXUINT32, &round))
    return (*why = "the round is not a number", FALSE);
  if (!parse_int (fields[1], 0, G_MAXINT64, &sample))
    return (*why = "the sample is not a number", FALSE);
  if (g_str_equal (fields[2], "skip"))
    label = VT_LABEL_SKIP;
  else if (!parse_int (fields[2], 0, G_MAXINT64, &label))
    return (*why = "the label is neither a class index nor “skip”", FALSE);
  apply_decision (self, (guint) round, sample, label);
  return TRUE;
}

static gboolean
sync_fd (int          fd,
         const char  *path,
         GError     **error)
{
  if (fsync (fd) != 0)
    {
      int saved = errno;
      g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_IO, "%s: cannot sync: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_all (VtLabelJournal  *self,
           const char      *text,
           GError         **error)
{
  gsize left = strlen (text);

  while (left > 0)
    {
      gssize n = write (self->fd, text, left);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int saved = errno;
          g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_IO, "%s: cannot write: %s", self->path,
                       g_strerror (saved));
          return FALSE;
        }
      text += n;
      left -= (gsize) n;
    }
  return sync_fd (self->fd, self->path, error);
}

/* Replays @contents; *good is the length of what stands. */
static gboolean
replay (VtLabelJournal  *self,
        const char      *contents,
        gsize            length,
        gsize           *good,
        GError         **error)
{
  gsize at = strlen (HEADER);
  guint line = 2;

  if (length < at || memcmp (contents, HEADER, at) != 0)
    {
      g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_INVALID,
                   "%s:1: not a label journal (expected the line “vitrine-label-journal 1”)", self->path);
      return FALSE;
    }
  for (; at < length; line++)
    {
      const char *end = memchr (contents + at, '\n', length - at);
      g_autofree char *text = g_strndup (contents + at, end ? (gsize) (end - (contents + at)) : length - at);
      const char *why = NULL;
      gboolean last = end == NULL || (gsize) (end - contents) + 1 == length;

      if (end == NULL)
        why = "the line ends before its end of line (cut short)";
      else if (memchr (contents + at, '\0', (gsize) (end - (contents + at))) != NULL)
        why = "the line holds a NUL byte";
      if (why == NULL)
        replay_line (self, text, &why);
      if (why != NULL)
        {
          if (!last)
            {
              g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_INVALID, "%s:%u: %s", self->path, line,
                           why);
              return FALSE;
            }
          self->damage = g_strdup_printf ("%s:%u: %s; the line was cut off, the %u decisions before it stand",
                                          self->path, line, why, self->decisions->len);
          break;
        }
      at = (gsize) (end - contents) + 1;
    }
  *good = at;
  return TRUE;
}

VtLabelJournal *
vt_label_journal_open (const char  *path,
                       GError     **error)
{
  g_autoptr(VtLabelJournal) self = g_new0 (VtLabelJournal, 1);
  g_autofree char *contents = NULL;
  gsize length = 0, good = 0;
  gboolean created;

  self->path = g_strdup (path);
  self->fd = -1;
  self->decisions = g_array_new (FALSE, FALSE, sizeof (VtLabelDecision));
  self->where = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  created = !g_file_test (path, G_FILE_TEST_EXISTS);
  if (!created)
    {
      g_autoptr(GError) local = NULL;

      if (!g_file_get_contents (path, &contents, &length, &local))
        {
          g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_IO, "%s: cannot read: %s", path,
                       local->message);
          return NULL;
        }
      /* Empty, or a part of the header: created, and killed before the
       * header was on disk. */
      created = length < strlen (HEADER) && memcmp (contents, HEADER, length) == 0;
      if (!created && !replay (self, contents, length, &good, error))
        return NULL;
    }
  self->fd = g_open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (self->fd < 0)
    {
      int saved = errno;
      g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_IO, "%s: cannot open for writing: %s", path,
                   g_strerror (saved));
      return NULL;
    }
  if (created)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      int dir_fd;

      if (ftruncate (self->fd, 0) != 0 || !write_all (self, HEADER, error))
        {
          if (error && *error == NULL)
            g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_IO, "%s: cannot write", path);
          return NULL;
        }
      /* The new name must survive a crash too. */
      dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
      if (dir_fd >= 0)
        {
          gboolean ok = sync_fd (dir_fd, dir, error);
          close (dir_fd);
          if (!ok)
            return NULL;
        }
    }
  else if (good < length)
    {
      if (ftruncate (self->fd, (off_t) good) != 0 || !sync_fd (self->fd, path, error))
        {
          if (error && *error == NULL)
            g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_IO, "%s: cannot cut off the damaged line: %s",
                         path, g_strerror (errno));
          return NULL;
        }
    }
  return g_steal_pointer (&self);
}

void
vt_label_journal_free (VtLabelJournal *self)
{
  if (self == NULL)
    return;
  if (self->fd >= 0)
    close (self->fd);
  g_hash_table_unref (self->where);
  g_array_unref (self->decisions);
  g_free (self->damage);
  g_free (self->path);
  g_free (self);
}

gboolean
vt_label_journal_append (VtLabelJournal  *self,
                         guint            round,
                         gint64           sample,
                         gint64           label,
                         GError         **error)
{
  g_autofree char *line = NULL;

  g_return_val_if_fail (sample >= 0 && label >= VT_LABEL_SKIP, FALSE);
  line = label == VT_LABEL_SKIP
           ? g_strdup_printf ("%u\t%" G_GINT64_FORMAT "\tskip\n", round, sample)
           : g_strdup_printf ("%u\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\n", round, sample, label);
  if (!write_all (self, line, error))
    return FALSE;
  apply_decision (self, round, sample, label);
  return TRUE;
}

gboolean
vt_label_journal_undo (VtLabelJournal  *self,
                       gint64           sample,
                       GError         **error)
{
  g_autofree char *line = NULL;

  if (!g_hash_table_contains (self->where, &sample))
    {
      g_set_error (error, VT_LABEL_JOURNAL_ERROR, VT_LABEL_JOURNAL_ERROR_INVALID,
                   "%s: sample %" G_GINT64_FORMAT " has no decision to take back", self->path, sample);
      return FALSE;
    }
  line = g_strdup_printf ("undo\t%" G_GINT64_FORMAT "\n", sample);
  if (!write_all (self, line, error))
    return FALSE;
  apply_undo (self, sample);
  return TRUE;
}

const VtLabelDecision *
vt_label_journal_get_decisions (VtLabelJournal *self,
                                guint          *n)
{
  *n = self->decisions->len;
  return (const VtLabelDecision *) (gpointer) self->decisions->data;
}

guint
vt_label_journal_get_round (VtLabelJournal *self)
{
  return self->round;
}

static guint
count (VtLabelJournal *self,
       gboolean        skipped)
{
  guint n = 0;

  for (guint i = 0; i < self->decisions->len; i++)
    n += (g_array_index (self->decisions, VtLabelDecision, i).label == VT_LABEL_SKIP) == skipped;
  return n;
}

guint
vt_label_journal_count_labeled (VtLabelJournal *self)
{
  return count (self, FALSE);
}

guint
vt_label_journal_count_skipped (VtLabelJournal *self)
{
  return count (self, TRUE);
}

const char *
vt_label_journal_get_damage (VtLabelJournal *self)
{
  return self->damage;
}
