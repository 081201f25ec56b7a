/* vt-label-journal.h: every labeling decision on disk before it counts.
 *
 * A journal is a text file: the line "vitrine-label-journal 1", then one
 * line per event, appended and fsync'd before the call returns:
 *   "<round>\t<sample>\t<label>"   a label (a class index) for a sample
 *   "<round>\t<sample>\tskip"      the sample was skipped
 *   "undo\t<sample>"               the sample's decision is taken back
 * Reopening replays it: each sample's latest decision, in the order the
 * samples were first decided, and the round (the largest seen). A process
 * killed while appending can leave only the last line short or damaged:
 * that line is reported (vt_label_journal_get_damage: the file and line)
 * and cut off, and everything before it stands. A damaged line elsewhere
 * is no crash's doing; opening fails naming the file and line. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VT_LABEL_JOURNAL_ERROR (vt_label_journal_error_quark ())
GQuark vt_label_journal_error_quark (void);

typedef enum
{
  VT_LABEL_JOURNAL_ERROR_IO,        /* cannot read, write or sync the file */
  VT_LABEL_JOURNAL_ERROR_INVALID,   /* not a journal, or damaged before its last line */
} VtLabelJournalError;

#define VT_LABEL_SKIP (-1)

typedef struct
{
  gint64  sample;
  gint64  label;     /* a class index, or VT_LABEL_SKIP */
  guint   round;
} VtLabelDecision;

typedef struct _VtLabelJournal VtLabelJournal;

/* Opens @path for appending, creating it (and syncing its folder) when it
 * does not exist; replays what it holds. */
VtLabelJournal        *vt_label_journal_open        (const char      *path,
                                                     GError         **error);
void                   vt_label_journal_free        (VtLabelJournal  *self);

/* Appends a decision (@label a class index ≥ 0 or VT_LABEL_SKIP) and
 * returns once it is on disk (fsync). */
gboolean               vt_label_journal_append      (VtLabelJournal  *self,
                                                     guint            round,
                                                     gint64           sample,
                                                     gint64           label,
                                                     GError         **error);
/* Takes back @sample's decision; FALSE with an error when it has none. */
gboolean               vt_label_journal_undo        (VtLabelJournal  *self,
                                                     gint64           sample,
                                                     GError         **error);

/* The decisions now standing, in the order their samples were first decided. */
const VtLabelDecision *vt_label_journal_get_decisions (VtLabelJournal *self,
                                                       guint          *n);
guint                  vt_label_journal_get_round   (VtLabelJournal  *self);
guint                  vt_label_journal_count_labeled (VtLabelJournal *self);
guint                  vt_label_journal_count_skipped (VtLabelJournal *self);
/* "FILE:LINE: what was wrong" for a damaged last line found on opening
 * (it was cut off), or NULL. */
const char            *vt_label_journal_get_damage  (VtLabelJournal  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtLabelJournal, vt_label_journal_free)

G_END_DECLS
