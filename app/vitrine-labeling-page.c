/* vitrine-labeling-page.c: the Labeling area.
 *
 * A round is vt_active_round_run in a worker on the journal's standing
 * decisions; its queue is appended to the session's, so Left and BackSpace
 * reach back into earlier rounds. A decision is appended to the journal
 * (fsync'd) first; only when that succeeded does the queue move on, so the
 * window never shows as done what the disk does not hold. While a round is
 * computed, keys that decide are ignored: the next queue is ranked on the
 * decisions it was given. Skipped samples are not asked again. */
#include "vitrine-labeling-page.h"
#include "vitrine-figure-view.h"
#include "vitrine-labeling-keys.h"
#include "vitrine-file-chooser.h"
#include "vitrine-store-item.h"
#include "vitrine-thumbnails.h"
#include "vitrine-workspace-item.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/vt-atomic-file.h"
#include "methods/active/vt-active-round.h"
#include "methods/active/vt-label-export.h"
#include "methods/active/vt-label-journal.h"

/* The sample's picture, in pixels a side. */
#define SAMPLE_SIZE 256
/* Classes the digit keys reach: 1–9, 0, then the same with Shift. */
#define KEYED_CLASSES 20

/* The learner drop-down's entries; the CLIP learners are listed only for a
 * store a CLIP image tower extracted (the first N_HEAD_LEARNERS always). */
static const struct
{
  VtActiveLearnerKind  kind;
  const char          *label;
} learners[] = {
  /* Translators: a linear classifier on the features */
  { VT_ACTIVE_LEARNER_LINEAR, N_("Linear head") },
  /* Translators: a classifier on the cosine of features and class weights */
  { VT_ACTIVE_LEARNER_COSINE, N_("Cosine head") },
  /* Translators: CLIP's zero-shot classifier from the class names, which labels do not train */
  { VT_ACTIVE_LEARNER_ZERO_SHOT, N_("Zero-shot (CLIP text tower)") },
  /* Translators: CoOp, prompt learning on CLIP's text tower; keep "CoOp" */
  { VT_ACTIVE_LEARNER_COOP, N_("CoOp prompts (CLIP text tower)") },
};
#define N_HEAD_LEARNERS 2

/* The order matches the strategy drop-down in vitrine-labeling-page.ui. */
static const VtActiveStrategy strategies[] = { VT_ACTIVE_RANDOM, VT_ACTIVE_LEAST_CONFIDENCE, VT_ACTIVE_MARGIN,
                                               VT_ACTIVE_ENTROPY, VT_ACTIVE_CORESET, VT_ACTIVE_BADGE };

/* One sample the queue asked about. */
typedef struct
{
  guint   round;
  gint64  sample;                       /* its dataset index, as the journal names it */
  gint32  guess;                        /* -1: no head yet */
  guint   n_top;
  guint   top[VT_ACTIVE_ROUND_TOP];
  float   top_p[VT_ACTIVE_ROUND_TOP];
} QueueEntry;

struct _VitrineLabelingPage
{
  GtkWidget           parent_instance;

  GtkWidget          *settings_box;
  GtkDropDown        *store_dropdown;
  GtkDropDown        *learner_dropdown;
  GtkDropDown        *strategy_dropdown;
  GtkSwitch          *pcb_switch;
  GtkSwitch          *warm_start_switch;
  GtkSpinButton      *n_ctx_spin;
  GtkSpinButton      *budget_spin;
  GtkLabel           *status;
  GtkWidget          *queue_box;
  GtkLabel           *position_label;
  GtkPicture         *sample_picture;
  GtkLabel           *sample_label;
  GtkLabel           *guess_label;
  GtkLabel           *top_label;
  GtkLabel           *decided_label;
  GtkSearchEntry     *class_search;
  GtkFlowBox         *class_box;
  GtkPopover         *help_popover;
  GtkLabel           *help_label;
  GtkDrawingArea     *bar_chart;
  GtkLabel           *rounds_label;
  VitrineFigureView  *accuracy_chart;

  GListStore         *stores;
  GListModel         *datasets;
  VitrineStoreItem   *item;          /* the chosen store */
  VtFeatureStore     *store;
  VtFeatureStore     *test;          /* its test split, or NULL */
  char               *journal_path;
  char               *opened;        /* what opening the journal found (resumed, damaged), or NULL */
  VtLabelJournal     *journal;
  VtDataset          *dataset;       /* behind the store, for pictures and paths; or NULL */
  VitrineThumbnails  *thumbnails;
  GCancellable       *round_cancellable;
  GCancellable       *dataset_cancellable;
  GArray             *queue;         /* QueueEntry */
  guint               position;
  GArray             *undo;          /* gint64: the samples decided this session, latest last */
  GArray             *accuracies;    /* double, by round */
  guint               rounds;        /* rounds begun: the next one's number */
  gboolean            clip_store;    /* the store's checkpoint is a CLIP one: the CLIP learners are listed */
  VtActiveLearner    *learner;       /* warm start: the last round's head, trained again next round; or NULL */
  GSettings          *settings;      /* the remapped keys; NULL: the defaults */
  VitrineLabelingKey  keys[VITRINE_LABELING_N_ACTIONS];
};

G_DEFINE_FINAL_TYPE (VitrineLabelingPage, vitrine_labeling_page, GTK_TYPE_WIDGET)

static void
set_status (VitrineLabelingPage *self,
            const char          *message,
            gboolean             is_error)
{
  gtk_label_set_text (self->status, message ? message : "");
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->status), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status), "error");
}

static void
update_actions (VitrineLabelingPage *self)
{
  gboolean busy = vitrine_labeling_page_is_busy (self);
  guint n = 0;

  if (self->journal)
    vt_label_journal_get_decisions (self->journal, &n);
  /* A head needs two classes to tell apart. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "labeling.start-round",
                                 !busy && self->store != NULL && self->store->n_classes >= 2 && self->journal != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "labeling.export-csv", self->dataset != NULL && n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "labeling.export-json", self->dataset != NULL && n > 0);
}

/* The standing decision on @sample, or NULL. */
static const VtLabelDecision *
find_decision (VitrineLabelingPage *self,
               gint64               sample)
{
  const VtLabelDecision *d;
  guint n = 0;

  if (self->journal == NULL)
    return NULL;
  d = vt_label_journal_get_decisions (self->journal, &n);
  for (guint i = 0; i < n; i++)
    if (d[i].sample == sample)
      return &d[i];
  return NULL;
}

static const char *
class_name (VitrineLabelingPage *self,
            guint                klass)
{
  return self->store->class_names[klass];
}

/* Charts ------------------------------------------------------------------------*/

static void
draw_bars (GtkDrawingArea *area,
           cairo_t        *cr,
           int             width,
           int             height,
           gpointer        data)
{
  VitrineLabelingPage *self = data;
  GdkRGBA fg;
  guint k, top = 1;
  double row, label_w = 0.38 * width, bar_w;

  if (self->store == NULL)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  k = self->store->n_classes;
  for (guint c = 0; c < k; c++)
    top = MAX (top, vitrine_labeling_page_get_class_count (self, c));
  row = (double) height / MAX (k, 1);
  bar_w = MAX (width - label_w - 40.0, 1.0);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, CLAMP (row * 0.6, 6.0, 12.0));
  for (guint c = 0; c < k; c++)
    {
      guint count = vitrine_labeling_page_get_class_count (self, c);
      g_autofree char *number = g_strdup_printf ("%u", count);
      double y = c * row;

      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, 2.0, y + row * 0.7);
      cairo_show_text (cr, class_name (self, c));
      /* The bars in the theme's accent blue. */
      cairo_set_source_rgba (cr, 0.21, 0.52, 0.89, 1.0);
      cairo_rectangle (cr, label_w, y + row * 0.15, bar_w * count / top, row * 0.7);
      cairo_fill (cr);
      gdk_cairo_set_source_rgba (cr, &fg);
      cairo_move_to (cr, label_w + bar_w * count / top + 4.0, y + row * 0.7);
      cairo_show_text (cr, number);
    }
}

static void
update_accuracy_chart (VitrineLabelingPage *self)
{
  guint n = MAX (self->accuracies->len, 1);
  g_autofree double *values = g_new (double, n);
  g_auto(GStrv) labels = g_new0 (char *, n + 1);
  const char *names[] = { _("test accuracy"), NULL };

  for (guint i = 0; i < n; i++)
    {
      values[i] = i < self->accuracies->len ? g_array_index (self->accuracies, double, i) : NAN;
      labels[i] = g_strdup_printf ("%u", i + 1);
    }
  vitrine_figure_view_set_figure (self->accuracy_chart,
                                  vt_figure_new_lines (_("Test accuracy per round"), _("round"), _("accuracy"), 1, n,
                                                       values, names, (const char * const *) labels, 0.0, 1.0));
}

static void
update_counts (VitrineLabelingPage *self)
{
  guint labeled = self->journal ? vt_label_journal_count_labeled (self->journal) : 0;
  guint skipped = self->journal ? vt_label_journal_count_skipped (self->journal) : 0;
  /* Translators: rounds begun, samples labeled and skipped */
  g_autofree char *text = g_strdup_printf (_("Rounds: %'u · labeled: %'u · skipped: %'u"), self->rounds, labeled, skipped);

  gtk_label_set_text (self->rounds_label, text);
  gtk_widget_queue_draw (GTK_WIDGET (self->bar_chart));
  update_actions (self);
}

/* The queue ---------------------------------------------------------------------*/

static void
show_position (VitrineLabelingPage *self)
{
  const QueueEntry *e = self->position < self->queue->len
                        ? &g_array_index (self->queue, QueueEntry, self->position) : NULL;
  g_autofree char *position = NULL;

  if (self->thumbnails)
    vitrine_thumbnails_unbind (self->thumbnails, self->sample_picture);
  gtk_picture_set_paintable (self->sample_picture, NULL);
  if (e == NULL)
    {
      position = self->queue->len > 0
                 /* Translators: %'u is how many samples the session asked about */
                 ? g_strdup_printf (g_dngettext (NULL, "Queue done (%'u sample): start the next round.",
                                                 "Queue done (%'u samples): start the next round.", self->queue->len),
                                    self->queue->len)
                 : g_strdup (self->store ? _("Start a round to fill the queue.") : _("Choose a feature store."));
      gtk_label_set_text (self->position_label, position);
      gtk_label_set_text (self->sample_label, "");
      gtk_label_set_text (self->guess_label, "");
      gtk_label_set_text (self->top_label, "");
      gtk_label_set_text (self->decided_label, "");
      return;
    }
  /* Translators: the sample shown, of how many; then its round */
  position = g_strdup_printf (_("Sample %'u of %'u (round %'u)"), self->position + 1, self->queue->len, e->round + 1);
  gtk_label_set_text (self->position_label, position);
  if (self->dataset && e->sample < self->dataset->n_samples)
    {
      g_autofree char *name = vt_dataset_sample_name (self->dataset, (guint) e->sample);
      g_autofree char *base = g_path_get_basename (name);

      gtk_label_set_text (self->sample_label, base);
      vitrine_thumbnails_bind (self->thumbnails, self->sample_picture, (guint) e->sample);
    }
  else
    {
      g_autofree char *index = g_strdup_printf ("%" G_GINT64_FORMAT, e->sample);
      /* Translators: %s is a sample's index; the store names no dataset that could be read */
      g_autofree char *text = g_strdup_printf (_("Sample %s (no picture: the store's dataset is not available)"),
                                               index);
      gtk_label_set_text (self->sample_label, text);
    }
  if (e->guess >= 0)
    {
      /* Translators: the head's class for the sample and its probability */
      g_autofree char *guess = g_strdup_printf (_("Guess: %s (%.0f%%) — press a to accept"),
                                                class_name (self, (guint) e->guess), 100.0 * e->top_p[0]);
      g_autoptr(GString) top = g_string_new (NULL);

      gtk_label_set_text (self->guess_label, guess);
      for (guint i = 0; i < e->n_top; i++)
        g_string_append_printf (top, "%s%u. %s %.1f%%", i ? "\n" : "", i + 1, class_name (self, e->top[i]),
                                100.0 * e->top_p[i]);
      gtk_label_set_text (self->top_label, top->str);
    }
  else
    {
      gtk_label_set_text (self->guess_label, _("No guess yet: the head trains on the first round's labels."));
      gtk_label_set_text (self->top_label, "");
    }
  {
    const VtLabelDecision *d = find_decision (self, e->sample);
    g_autofree char *decided = NULL;

    if (d != NULL && d->label == VT_LABEL_SKIP)
      decided = g_strdup (_("Skipped"));
    else if (d != NULL)
      /* Translators: the label a person gave this sample */
      decided = g_strdup_printf (_("Labeled: %s"), class_name (self, (guint) d->label));
    gtk_label_set_text (self->decided_label, decided ? decided : "");
  }
}

/* Journals the decision on the sample shown (@label a class or
 * VT_LABEL_SKIP); moves on only once it is on disk. */
static void
decide (VitrineLabelingPage *self,
        gint64               label)
{
  g_autoptr(GError) error = NULL;
  const QueueEntry *e;

  if (vitrine_labeling_page_is_busy (self) || self->journal == NULL || self->position >= self->queue->len)
    return;
  e = &g_array_index (self->queue, QueueEntry, self->position);
  if (!vt_label_journal_append (self->journal, e->round, e->sample, label, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  /* A sample decided again is undone once: its latest place counts. */
  for (guint i = 0; i < self->undo->len; i++)
    if (g_array_index (self->undo, gint64, i) == e->sample)
      g_array_remove_index (self->undo, i--);
  g_array_append_val (self->undo, e->sample);
  self->position++;
  show_position (self);
  update_counts (self);
}

static void
undo (VitrineLabelingPage *self)
{
  g_autoptr(GError) error = NULL;
  gint64 sample;

  if (vitrine_labeling_page_is_busy (self) || self->journal == NULL || self->undo->len == 0)
    return;
  sample = g_array_index (self->undo, gint64, self->undo->len - 1);
  if (!vt_label_journal_undo (self->journal, sample, &error))
    {
      set_status (self, error->message, TRUE);
      return;
    }
  g_array_set_size (self->undo, self->undo->len - 1);
  for (guint i = self->queue->len; i > 0; i--)
    if (g_array_index (self->queue, QueueEntry, i - 1).sample == sample)
      {
        self->position = i - 1;
        break;
      }
  show_position (self);
  update_counts (self);
}

static void
move (VitrineLabelingPage *self,
      int                  step)
{
  gint64 position = (gint64) self->position + step;

  self->position = (guint) CLAMP (position, 0, (gint64) self->queue->len);
  show_position (self);
}

/* The class a digit key names: 1–9 and 0 the first ten, with Shift the next ten. */
static int
digit_class (guint           keyval,
             guint           keycode,
             GdkModifierType state,
             GtkWidget      *widget)
{
  int digit = -1;

  if (keyval >= GDK_KEY_0 && keyval <= GDK_KEY_9)
    digit = keyval - GDK_KEY_0;
  else if (keyval >= GDK_KEY_KP_0 && keyval <= GDK_KEY_KP_9)
    digit = keyval - GDK_KEY_KP_0;
  else if (state & GDK_SHIFT_MASK)
    {
      /* Shift+1 arrives as "!" on most layouts: ask for the key without Shift. */
      guint plain = 0;

      if (gdk_display_translate_key (gtk_widget_get_display (widget), keycode, state & ~GDK_SHIFT_MASK, 0, &plain,
                                     NULL, NULL, NULL) && plain >= GDK_KEY_0 && plain <= GDK_KEY_9)
        digit = plain - GDK_KEY_0;
    }
  if (digit < 0)
    return -1;
  return (digit == 0 ? 9 : digit - 1) + ((state & GDK_SHIFT_MASK) ? 10 : 0);
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                VitrineLabelingPage   *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;
  int klass;

  /* Typing in the class search and in the settings stays typing. */
  if (focus != NULL && (GTK_IS_EDITABLE (focus) || gtk_widget_is_ancestor (focus, self->settings_box) ||
                        gtk_widget_is_ancestor (focus, GTK_WIDGET (self->class_search))))
    return FALSE;
  /* The remappable keys first: a key the user chose wins over a digit. */
  switch (vitrine_labeling_keys_match (self->keys, keyval, state))
    {
    case VITRINE_LABELING_ACCEPT:
      if (self->position < self->queue->len && g_array_index (self->queue, QueueEntry, self->position).guess >= 0)
        decide (self, g_array_index (self->queue, QueueEntry, self->position).guess);
      return TRUE;
    case VITRINE_LABELING_SKIP:
      decide (self, VT_LABEL_SKIP);
      return TRUE;
    case VITRINE_LABELING_UNDO:
      undo (self);
      return TRUE;
    case VITRINE_LABELING_PREVIOUS:
      move (self, -1);
      return TRUE;
    case VITRINE_LABELING_NEXT:
      move (self, 1);
      return TRUE;
    case VITRINE_LABELING_HELP:
      gtk_popover_popup (self->help_popover);
      return TRUE;
    default:
      break;
    }
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  if ((klass = digit_class (keyval, keycode, state, GTK_WIDGET (self))) >= 0)
    {
      if (self->store != NULL && (guint) klass < self->store->n_classes)
        decide (self, klass);
      return TRUE;
    }
  return FALSE;
}

/* The keys as they are now, and the help popover that lists them. */
static void
read_keys (VitrineLabelingPage *self)
{
  g_autoptr(GString) help = g_string_new (NULL);

  vitrine_labeling_keys_read (self->settings, self->keys);
  /* Translators: the digit keys of the labeling queue; the remappable keys follow, one a line */
  g_string_append (help, _("1 … 9, 0: the first ten classes\nShift+1 … Shift+0: the next ten"));
  for (guint a = 0; a < VITRINE_LABELING_N_ACTIONS; a++)
    {
      g_autofree char *key = gtk_accelerator_get_label (self->keys[a].keyval, self->keys[a].mods);

      g_string_append_printf (help, "\n%s: %s", key, vitrine_labeling_action_title (a));
    }
  gtk_label_set_text (self->help_label, help->str);
}

static void
on_settings_changed (VitrineLabelingPage *self,
                     const char          *key)
{
  if (g_str_has_prefix (key, "labeling-key-"))
    read_keys (self);
}

void
vitrine_labeling_page_set_settings (VitrineLabelingPage *self,
                                    GSettings           *settings)
{
  g_return_if_fail (VITRINE_IS_LABELING_PAGE (self));

  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  if (settings)
    g_signal_connect_swapped (settings, "changed", G_CALLBACK (on_settings_changed), self);
  read_keys (self);
}

/* Classes: buttons and search ---------------------------------------------------*/

static void
on_class_clicked (GtkButton           *button,
                  VitrineLabelingPage *self)
{
  decide (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "class")));
}

static gboolean
class_matches (GtkFlowBoxChild *child,
               gpointer         data)
{
  VitrineLabelingPage *self = data;
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->class_search));
  GtkWidget *button = gtk_flow_box_child_get_child (child);
  g_autofree char *name = NULL, *needle = NULL;

  if (text == NULL || text[0] == '\0' || self->store == NULL)
    return TRUE;
  name = g_utf8_casefold (class_name (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "class"))), -1);
  needle = g_utf8_casefold (text, -1);
  return strstr (name, needle) != NULL;
}

static void
on_search_changed (VitrineLabelingPage *self)
{
  gtk_flow_box_invalidate_filter (self->class_box);
}

/* Enter in the search labels the sample as the first class that matches. */
static void
on_search_activate (VitrineLabelingPage *self)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->class_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (gtk_widget_get_child_visible (child) && class_matches (GTK_FLOW_BOX_CHILD (child), self))
      {
        GtkWidget *button = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (child));

        decide (self, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "class")));
        gtk_editable_set_text (GTK_EDITABLE (self->class_search), "");
        gtk_widget_grab_focus (self->queue_box);
        return;
      }
}

static void
build_class_buttons (VitrineLabelingPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->class_box))) != NULL)
    gtk_flow_box_remove (self->class_box, child);
  for (guint c = 0; self->store && c < self->store->n_classes; c++)
    {
      g_autofree char *key = c < 10 ? g_strdup_printf ("%u", (c + 1) % 10)
                             : c < KEYED_CLASSES ? g_strdup_printf ("⇧%u", (c - 9) % 10) : NULL;
      g_autofree char *text = key ? g_strdup_printf ("%s  %s", key, class_name (self, c)) : g_strdup (class_name (self, c));
      GtkWidget *button = gtk_button_new_with_label (text);

      gtk_widget_set_focus_on_click (button, FALSE);
      g_object_set_data (G_OBJECT (button), "class", GUINT_TO_POINTER (c));
      g_signal_connect (button, "clicked", G_CALLBACK (on_class_clicked), self);
      gtk_flow_box_append (self->class_box, button);
    }
}

/* The store and its journal -----------------------------------------------------*/

static void
open_dataset_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  VtDataset *dataset = vitrine_store_open_dataset (data, cancellable, &error);

  if (dataset == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, dataset, (GDestroyNotify) vt_dataset_unref);
}

static void
set_dataset (VitrineLabelingPage *self,
             VtDataset           *dataset)
{
  if (self->thumbnails)
    vitrine_thumbnails_unbind (self->thumbnails, self->sample_picture);
  g_clear_pointer (&self->thumbnails, vitrine_thumbnails_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  if (dataset != NULL)
    {
      self->dataset = vt_dataset_ref (dataset);
      self->thumbnails = vitrine_thumbnails_new (dataset, SAMPLE_SIZE);
    }
  show_position (self);
  update_actions (self);
}

static void
dataset_opened (GObject *source, GAsyncResult *result, gpointer data)
{
  VitrineLabelingPage *self = VITRINE_LABELING_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtDataset) dataset = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_task_get_cancellable (G_TASK (result)) != self->dataset_cancellable)
    return;
  g_clear_object (&self->dataset_cancellable);
  if (dataset == NULL)
    g_message ("Labeling: no pictures: %s", error->message);
  set_dataset (self, dataset);
}

static void
open_dataset (VitrineLabelingPage *self)
{
  g_autoptr(GTask) task = NULL;
  VtFeatureSource *from = self->store ? self->store->source : NULL;
  VtDataset *open;

  g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  set_dataset (self, NULL);
  if (from == NULL || from->dataset == NULL)
    return;
  /* The Dataset area's, where it has read the same dataset and split. */
  if (self->datasets != NULL &&
      (open = vitrine_workspace_find_dataset (self->datasets, from->dataset, from->split, from->dataset_samples)))
    {
      set_dataset (self, open);
      return;
    }
  self->dataset_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->dataset_cancellable, dataset_opened, NULL);
  g_task_set_task_data (task, vt_feature_source_copy (from), (GDestroyNotify) vt_feature_source_free);
  g_task_run_in_thread (task, open_dataset_thread);
}

/* $XDG_DATA_HOME/vitrine/labels/<SHA-256 of the store's path>.journal */
static char *
journal_path_for (const char *store_path)
{
  g_autofree char *canonical = g_canonicalize_filename (store_path, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  g_autofree char *name = g_strconcat (hash, ".journal", NULL);

  return g_build_filename (g_get_user_data_dir (), "vitrine", "labels", name, NULL);
}

static void
close_store (VitrineLabelingPage *self)
{
  g_cancellable_cancel (self->round_cancellable);
  g_clear_object (&self->round_cancellable);
  g_clear_pointer (&self->learner, vt_active_learner_free);
  g_clear_object (&self->item);
  g_clear_pointer (&self->store, vt_feature_store_unref);
  g_clear_pointer (&self->test, vt_feature_store_unref);
  g_clear_pointer (&self->journal, vt_label_journal_free);
  g_clear_pointer (&self->journal_path, g_free);
  g_clear_pointer (&self->opened, g_free);
  g_array_set_size (self->queue, 0);
  g_array_set_size (self->undo, 0);
  g_array_set_size (self->accuracies, 0);
  self->position = 0;
  self->rounds = 0;
}

/* The test split of the chosen store's dataset and model, if listed. */
static VtFeatureStore *
find_test_store (VitrineLabelingPage *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->stores));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(VitrineStoreItem) other = g_list_model_get_item (G_LIST_MODEL (self->stores), i);
      VtFeatureStore *store = vitrine_store_item_get_store (other);

      if (other != self->item && store != NULL && vitrine_store_item_is_test_of (other, self->item) &&
          store->dim == self->store->dim && store->n_classes == self->store->n_classes)
        return vt_feature_store_ref (store);
    }
  return NULL;
}

/* What opening the store's journal found, and whether accuracy is measured. */
static void
show_opened (VitrineLabelingPage *self)
{
  g_autofree char *text = NULL;

  if (self->test == NULL)
    text = g_strdup_printf ("%s%s%s", self->opened ? self->opened : "", self->opened && *self->opened ? " " : "",
                            _("No test split of this store is listed: accuracy is not measured."));
  set_status (self, text ? text : self->opened, FALSE);
}

/* CoOp's context vectors are a setting of CoOp alone. */
static void
on_learner_changed (VitrineLabelingPage *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->n_ctx_spin),
                            vitrine_labeling_page_get_learner (self) == VT_ACTIVE_LEARNER_COOP);
}

/* Lists the learners the store allows, keeping the chosen one where it
 * still is listed. Reading the store's checkpoint header here is quick: it
 * is mapped, not hashed (the round's worker checks its bytes). */
static void
update_learners (VitrineLabelingPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->learner_dropdown);
  guint n;
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);

  self->clip_store = self->store != NULL && vt_active_clip_store_is_clip (self->store);
  n = self->clip_store ? G_N_ELEMENTS (learners) : N_HEAD_LEARNERS;
  for (guint i = 0; i < n; i++)
    gtk_string_list_append (list, _(learners[i].label));
  gtk_drop_down_set_model (self->learner_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->learner_dropdown, selected < n ? selected : 0);
  on_learner_changed (self);
}

static void
choose_store (VitrineLabelingPage *self)
{
  VitrineStoreItem *item = gtk_drop_down_get_selected_item (self->store_dropdown);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;

  if (item == self->item && item != NULL)
    return;
  close_store (self);
  if (item != NULL && vitrine_store_item_get_store (item) != NULL)
    {
      self->item = g_object_ref (item);
      self->store = vt_feature_store_ref (vitrine_store_item_get_store (item));
      self->test = find_test_store (self);
      self->journal_path = journal_path_for (vitrine_store_item_get_path (item));
      dir = g_path_get_dirname (self->journal_path);
      if (g_mkdir_with_parents (dir, 0700) != 0)
        g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (errno), _("Cannot make %s: %s"), dir,
                     g_strerror (errno));
      else
        self->journal = vt_label_journal_open (self->journal_path, &error);
    }
  if (item != NULL && vitrine_store_item_get_store (item) == NULL)
    {
      /* Translators: %s is a feature store's file */
      g_autofree char *text = g_strdup_printf (_("%s cannot be read: %s"), vitrine_store_item_get_path (item),
                                               vitrine_store_item_get_reason (item) ? vitrine_store_item_get_reason (item)
                                                                                    : _("the file is missing"));
      set_status (self, text, TRUE);
    }
  else if (error != NULL)
    set_status (self, error->message, TRUE);
  else if (self->journal != NULL)
    {
      guint n = 0;
      const char *damage = vt_label_journal_get_damage (self->journal);
      g_autoptr(GString) text = g_string_new (NULL);

      vt_label_journal_get_decisions (self->journal, &n);
      self->rounds = n > 0 ? vt_label_journal_get_round (self->journal) + 1 : 0;
      if (n > 0)
        /* Translators: what reopening a store's labels brought back */
        g_string_append_printf (text, ngettext ("Resumed: %'u labeled, %'u skipped, %'u round.",
                                                "Resumed: %'u labeled, %'u skipped, %'u rounds.", self->rounds),
                                vt_label_journal_count_labeled (self->journal),
                                vt_label_journal_count_skipped (self->journal), self->rounds);
      if (damage != NULL)
        /* Translators: "FILE:LINE: what was wrong" follows */
        g_string_append_printf (text, "%s%s", text->len ? " " : "",
                                _("The journal's last line was damaged (the program stopped while writing it) and "
                                  "was left out: "));
      if (damage != NULL)
        g_string_append (text, damage);
      g_free (self->opened);
      self->opened = g_string_free (g_steal_pointer (&text), FALSE);
      show_opened (self);
    }
  else
    set_status (self, NULL, FALSE);
  build_class_buttons (self);
  update_learners (self);
  open_dataset (self);
  update_accuracy_chart (self);
  update_counts (self);
  show_position (self);
}

/* A test split listed after its store was chosen is used from the next round. */
static void
on_stores_changed (VitrineLabelingPage *self)
{
  if (self->item != NULL && self->test == NULL && (self->test = find_test_store (self)) != NULL)
    show_opened (self);
}

void
vitrine_labeling_page_set_stores (VitrineLabelingPage *self,
                                  GListStore          *stores)
{
  if (self->stores)
    g_signal_handlers_disconnect_by_func (self->stores, on_stores_changed, self);
  g_set_object (&self->stores, stores);
  gtk_drop_down_set_model (self->store_dropdown, G_LIST_MODEL (stores));
  g_signal_connect_object (stores, "items-changed", G_CALLBACK (on_stores_changed), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  choose_store (self);
}

void
vitrine_labeling_page_set_datasets (VitrineLabelingPage *self,
                                    GListModel          *datasets)
{
  g_set_object (&self->datasets, datasets);
}

gboolean
vitrine_labeling_page_add_store (VitrineLabelingPage *self,
                                 const char          *path,
                                 GError             **error)
{
  guint position;

  if (vitrine_store_list_add_file (self->stores, path, &position, error) == NULL)
    return FALSE;
  gtk_drop_down_set_selected (self->store_dropdown, position);
  choose_store (self);
  return TRUE;
}

void
vitrine_labeling_page_configure (VitrineLabelingPage *self,
                                 VtActiveLearnerKind  learner,
                                 VtActiveStrategy     strategy,
                                 gboolean             pcb,
                                 guint                budget)
{
  guint listed = g_list_model_get_n_items (gtk_drop_down_get_model (self->learner_dropdown));

  for (guint i = 0; i < listed; i++)
    if (learners[i].kind == learner)
      gtk_drop_down_set_selected (self->learner_dropdown, i);
  for (guint i = 0; i < G_N_ELEMENTS (strategies); i++)
    if (strategies[i] == strategy)
      gtk_drop_down_set_selected (self->strategy_dropdown, i);
  gtk_switch_set_active (self->pcb_switch, pcb);
  gtk_spin_button_set_value (self->budget_spin, budget);
}

/* Rounds ------------------------------------------------------------------------*/

typedef struct
{
  VtFeatureStore        *pool;
  VtFeatureStore        *test;
  VtActiveRoundOptions   options;
  VtLabelDecision       *decisions;
  guint                  n_decisions;
  guint                  round;
  char                  *pool_path;   /* names the store in messages */
} RoundJob;

static void
round_job_free (RoundJob *job)
{
  vt_feature_store_unref (job->pool);
  g_clear_pointer (&job->test, vt_feature_store_unref);
  g_free (job->decisions);
  g_free (job->pool_path);
  vt_active_learner_free (job->options.reuse);
  g_free (job);
}

static void
round_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  RoundJob *job = data;
  GError *error = NULL;
  g_autoptr(VtActiveClip) clip = NULL;
  VtActiveRound *round = NULL;

  /* the CLIP learners: the store's checkpoint, its bytes checked here, off the main thread */
  if (VT_ACTIVE_LEARNER_IS_CLIP (job->options.learner.kind) &&
      (!(clip = vt_active_clip_open (job->pool, job->pool_path, cancellable, &error)) ||
       (job->test && !vt_active_clip_check (clip, job->test, _("the test split's store"), &error))))
    {
      g_task_return_error (task, error);
      return;
    }
  job->options.clip = clip;
  /* the round takes the head to reuse over */
  round = vt_active_round_run (job->pool, job->test, &job->options, job->decisions, job->n_decisions, job->round,
                               cancellable, &error);
  job->options.reuse = NULL;
  job->options.clip = NULL;
  if (round == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, round, (GDestroyNotify) vt_active_round_free);
}

static void
round_done (GObject *source, GAsyncResult *result, gpointer data)
{
  VitrineLabelingPage *self = VITRINE_LABELING_PAGE (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(VtActiveRound) round = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_task_get_cancellable (G_TASK (result)) != self->round_cancellable)
    return;
  g_clear_object (&self->round_cancellable);
  if (round == NULL)
    {
      set_status (self, error->message, TRUE);
      update_actions (self);
      return;
    }
  if (((RoundJob *) g_task_get_task_data (G_TASK (result)))->options.learner.warm_start)
    {
      g_clear_pointer (&self->learner, vt_active_learner_free);
      self->learner = g_steal_pointer (&round->learner);
    }
  self->position = self->queue->len;
  for (guint i = 0; i < round->n; i++)
    {
      QueueEntry e = { .round = round->round, .sample = round->samples[i], .guess = round->guess[i],
                       .n_top = round->guess[i] >= 0 ? round->n_top : 0 };

      for (guint t = 0; t < e.n_top; t++)
        {
          e.top[t] = round->top[(gsize) i * round->n_top + t];
          e.top_p[t] = round->probs[(gsize) i * round->k + e.top[t]];
        }
      g_array_append_val (self->queue, e);
    }
  if (self->accuracies->len <= round->round)
    {
      double nan = NAN;
      while (self->accuracies->len <= round->round)
        g_array_append_val (self->accuracies, nan);
    }
  g_array_index (self->accuracies, double, round->round) = round->accuracy;
  self->rounds = MAX (self->rounds, round->round + 1);
  if (round->n == 0)
    set_status (self, _("Every sample of the store is decided: nothing is left to ask."), FALSE);
  else if (round->shortfalls->len > 0)
    {
      /* Translators: %u is how many times PCB found no candidate of the class it wanted */
      g_autofree char *text = g_strdup_printf (_("PCB found no candidate of the class with the fewest labels %u times "
                                                 "and took a random candidate instead."), round->shortfalls->len);
      set_status (self, text, FALSE);
    }
  else
    set_status (self, NULL, FALSE);
  update_accuracy_chart (self);
  update_counts (self);
  show_position (self);
  gtk_widget_grab_focus (self->queue_box);
}

void
vitrine_labeling_page_start_round (VitrineLabelingPage *self)
{
  g_autoptr(GTask) task = NULL;
  RoundJob *job;
  const VtLabelDecision *decisions;
  guint n;

  if (vitrine_labeling_page_is_busy (self) || self->store == NULL || self->store->n_classes < 2 || self->journal == NULL)
    return;
  decisions = vt_label_journal_get_decisions (self->journal, &n);
  job = g_new0 (RoundJob, 1);
  job->pool = vt_feature_store_ref (self->store);
  job->test = self->test ? vt_feature_store_ref (self->test) : NULL;
  vt_active_learner_options_init (&job->options.learner);
  vt_active_learner_options_defaults (&job->options.learner, vitrine_labeling_page_get_learner (self));
  job->options.learner.warm_start = gtk_switch_get_active (self->warm_start_switch);
  job->options.learner.n_ctx = (guint) gtk_spin_button_get_value_as_int (self->n_ctx_spin);
  /* warm start trains the last round's head again, if it is of the learner chosen */
  if (!job->options.learner.warm_start ||
      (self->learner && vt_active_learner_get_kind (self->learner) != job->options.learner.kind))
    g_clear_pointer (&self->learner, vt_active_learner_free);
  job->options.reuse = g_steal_pointer (&self->learner);
  job->options.choice.strategy = strategies[MIN (gtk_drop_down_get_selected (self->strategy_dropdown),
                                                 G_N_ELEMENTS (strategies) - 1)];
  job->options.choice.pcb = gtk_switch_get_active (self->pcb_switch);
  job->options.choice.pcb_fallback = VT_PCB_RANDOM;
  job->options.choice.candidates = 0.1;
  job->options.budget = (guint) gtk_spin_button_get_value_as_int (self->budget_spin);
  job->decisions = g_memdup2 (decisions, (gsize) MAX (n, 1) * sizeof (VtLabelDecision));
  job->n_decisions = n;
  job->round = self->rounds;
  job->pool_path = g_strdup (vitrine_store_item_get_path (self->item));
  self->round_cancellable = g_cancellable_new ();
  /* Translators: %u is the round's number */
  {
    g_autofree char *text = g_strdup_printf (_("Round %u: training the head and ranking the pool…"), job->round + 1);
    set_status (self, text, FALSE);
  }
  task = g_task_new (self, self->round_cancellable, round_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) round_job_free);
  g_task_run_in_thread (task, round_thread);
  update_actions (self);
}

static void
start_round_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  vitrine_labeling_page_start_round (VITRINE_LABELING_PAGE (widget));
}

/* Export ------------------------------------------------------------------------*/

gboolean
vitrine_labeling_page_export (VitrineLabelingPage *self,
                              const char          *path,
                              GError             **error)
{
  const VtLabelDecision *decisions;
  g_autofree char *text = NULL;
  guint n = 0;

  if (self->journal == NULL || self->dataset == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("%s: no labels with their dataset to export"), path);
      return FALSE;
    }
  decisions = vt_label_journal_get_decisions (self->journal, &n);
  text = (g_str_has_suffix (path, ".csv") ? vt_label_export_csv : vt_label_export_json)
           (decisions, n, self->dataset, (const char * const *) self->store->class_names, self->store->n_classes, error);
  return text != NULL && vt_atomic_file_write (path, text, strlen (text), error);
}

static void
export_chosen (GFile    *file,
               gpointer  data)
{
  VitrineLabelingPage *self = data;
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;

  if (!vitrine_labeling_page_export (self, path, &error))
    set_status (self, error->message, TRUE);
  else
    {
      /* Translators: %s is the file the labels went to */
      g_autofree char *text = g_strdup_printf (_("Labels written to %s"), path);
      set_status (self, text, FALSE);
    }
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *parameter)
{
  gboolean csv = g_str_equal (name, "labeling.export-csv");

  vitrine_choose_save_file (widget, csv ? _("Export Labels as CSV") : _("Export Labels as JSON"),
                            csv ? "labels.csv" : "labels.json", export_chosen, widget);
}

/* Accessors ---------------------------------------------------------------------*/

gboolean
vitrine_labeling_page_is_busy (VitrineLabelingPage *self)
{
  return self->round_cancellable != NULL;
}

guint
vitrine_labeling_page_get_queue_length (VitrineLabelingPage *self)
{
  return self->queue->len;
}

const char *
vitrine_labeling_page_get_position_text (VitrineLabelingPage *self)
{
  g_return_val_if_fail (VITRINE_IS_LABELING_PAGE (self), NULL);
  return gtk_label_get_text (self->position_label);
}

guint
vitrine_labeling_page_get_position (VitrineLabelingPage *self)
{
  return self->position;
}

gint64
vitrine_labeling_page_get_sample (VitrineLabelingPage *self)
{
  return self->position < self->queue->len ? g_array_index (self->queue, QueueEntry, self->position).sample : -1;
}

gint
vitrine_labeling_page_get_guess (VitrineLabelingPage *self)
{
  return self->position < self->queue->len ? g_array_index (self->queue, QueueEntry, self->position).guess : -1;
}

guint
vitrine_labeling_page_get_class_count (VitrineLabelingPage *self,
                                       guint                klass)
{
  const VtLabelDecision *d;
  guint n = 0, count = 0;

  if (self->journal == NULL)
    return 0;
  d = vt_label_journal_get_decisions (self->journal, &n);
  for (guint i = 0; i < n; i++)
    count += d[i].label == (gint64) klass;
  return count;
}

void
vitrine_labeling_page_set_context_vectors (VitrineLabelingPage *self,
                                           guint                n_ctx)
{
  gtk_spin_button_set_value (self->n_ctx_spin, n_ctx);
}

gboolean
vitrine_labeling_page_context_vectors_apply (VitrineLabelingPage *self)
{
  return gtk_widget_get_sensitive (GTK_WIDGET (self->n_ctx_spin));
}

void
vitrine_labeling_page_set_warm_start (VitrineLabelingPage *self,
                                      gboolean             warm_start)
{
  gtk_switch_set_active (self->warm_start_switch, warm_start);
}

const float *
vitrine_labeling_page_get_head (VitrineLabelingPage *self,
                                guint               *n)
{
  *n = self->learner ? self->store->n_classes * vt_active_learner_get_dim (self->learner) : 0;
  return self->learner ? vt_active_learner_weight (self->learner) : NULL;
}

VtActiveLearnerKind
vitrine_labeling_page_get_learner (VitrineLabelingPage *self)
{
  guint listed = g_list_model_get_n_items (gtk_drop_down_get_model (self->learner_dropdown));

  return learners[MIN (gtk_drop_down_get_selected (self->learner_dropdown), MAX (listed, 1) - 1)].kind;
}

guint
vitrine_labeling_page_get_n_learners (VitrineLabelingPage *self)
{
  return g_list_model_get_n_items (gtk_drop_down_get_model (self->learner_dropdown));
}

guint
vitrine_labeling_page_get_rounds (VitrineLabelingPage *self)
{
  return self->rounds;
}

const double *
vitrine_labeling_page_get_accuracies (VitrineLabelingPage *self,
                                      guint               *n)
{
  *n = self->accuracies->len;
  return (const double *) (gpointer) self->accuracies->data;
}

gboolean
vitrine_labeling_page_has_pictures (VitrineLabelingPage *self)
{
  return self->dataset != NULL;
}

const char *
vitrine_labeling_page_get_journal_path (VitrineLabelingPage *self)
{
  return self->journal_path;
}

const char *
vitrine_labeling_page_get_status (VitrineLabelingPage *self)
{
  return gtk_label_get_text (self->status);
}

GtkWidget *
vitrine_labeling_page_get_bar_chart (VitrineLabelingPage *self)
{
  return GTK_WIDGET (self->bar_chart);
}

GtkWidget *
vitrine_labeling_page_get_class_search (VitrineLabelingPage *self)
{
  return GTK_WIDGET (self->class_search);
}

GtkWidget *
vitrine_labeling_page_get_accuracy_chart (VitrineLabelingPage *self)
{
  return GTK_WIDGET (self->accuracy_chart);
}

/* GObject -----------------------------------------------------------------------*/

static void
vitrine_labeling_page_dispose (GObject *object)
{
  VitrineLabelingPage *self = VITRINE_LABELING_PAGE (object);
  GtkWidget *child;

  g_cancellable_cancel (self->dataset_cancellable);
  g_clear_object (&self->dataset_cancellable);
  if (self->thumbnails && self->sample_picture)
    vitrine_thumbnails_unbind (self->thumbnails, self->sample_picture);
  g_clear_pointer (&self->thumbnails, vitrine_thumbnails_free);
  g_clear_pointer (&self->dataset, vt_dataset_unref);
  if (self->queue)
    close_store (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), VITRINE_TYPE_LABELING_PAGE);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->stores);
  g_clear_object (&self->datasets);
  if (self->settings)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (vitrine_labeling_page_parent_class)->dispose (object);
}

static void
vitrine_labeling_page_finalize (GObject *object)
{
  VitrineLabelingPage *self = VITRINE_LABELING_PAGE (object);

  g_array_unref (self->queue);
  g_array_unref (self->undo);
  g_array_unref (self->accuracies);
  G_OBJECT_CLASS (vitrine_labeling_page_parent_class)->finalize (object);
}

static void
vitrine_labeling_page_class_init (VitrineLabelingPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = vitrine_labeling_page_dispose;
  object_class->finalize = vitrine_labeling_page_finalize;

  g_type_ensure (VITRINE_TYPE_FIGURE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vitrine/Vitrine/vitrine-labeling-page.ui");
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, settings_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, store_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, learner_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, warm_start_switch);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, n_ctx_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, strategy_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, pcb_switch);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, budget_spin);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, status);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, queue_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, position_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, sample_picture);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, sample_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, guess_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, top_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, decided_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, class_search);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, class_box);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, help_popover);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, help_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, bar_chart);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, rounds_label);
  gtk_widget_class_bind_template_child (widget_class, VitrineLabelingPage, accuracy_chart);
  gtk_widget_class_install_action (widget_class, "labeling.start-round", NULL, start_round_action);
  gtk_widget_class_install_action (widget_class, "labeling.export-csv", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "labeling.export-json", NULL, export_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "labelingpage");
}

/* The store drop-down's button shows the store's label ellipsized, so a
 * long one does not widen the settings; its list shows labels whole. */
static void
setup_store_label (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   gpointer                  ellipsize)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  if (ellipsize)
    {
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
      gtk_label_set_width_chars (GTK_LABEL (label), 18);
    }
  gtk_list_item_set_child (list_item, label);
}

static void
bind_store_label (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  gpointer                  data)
{
  VitrineStoreItem *item = gtk_list_item_get_item (list_item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (list_item)), vitrine_store_item_get_label (item));
}

static GtkListItemFactory *
store_label_factory (gboolean ellipsize)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_store_label), GINT_TO_POINTER (ellipsize));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_store_label), NULL);
  return factory;
}

static void
vitrine_labeling_page_init (VitrineLabelingPage *self)
{
  g_autoptr(GtkExpression) label = gtk_property_expression_new (VITRINE_TYPE_STORE_ITEM, NULL, "label");
  g_autoptr(GListStore) stores = g_list_store_new (VITRINE_TYPE_STORE_ITEM);
  GtkEventController *keys;

  self->queue = g_array_new (FALSE, FALSE, sizeof (QueueEntry));
  self->undo = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->accuracies = g_array_new (FALSE, FALSE, sizeof (double));
  gtk_widget_init_template (GTK_WIDGET (self));
  update_learners (self);
  g_signal_connect_swapped (self->learner_dropdown, "notify::selected", G_CALLBACK (on_learner_changed), self);
  gtk_drop_down_set_expression (self->store_dropdown, label);
  {
    g_autoptr(GtkListItemFactory) button = store_label_factory (TRUE);
    g_autoptr(GtkListItemFactory) list = store_label_factory (FALSE);

    gtk_drop_down_set_factory (self->store_dropdown, button);
    gtk_drop_down_set_list_factory (self->store_dropdown, list);
  }
  gtk_drawing_area_set_draw_func (self->bar_chart, draw_bars, self, NULL);
  gtk_flow_box_set_filter_func (self->class_box, class_matches, self, NULL);
  g_signal_connect_swapped (self->class_search, "search-changed", G_CALLBACK (on_search_changed), self);
  g_signal_connect_swapped (self->class_search, "activate", G_CALLBACK (on_search_activate), self);
  g_signal_connect_swapped (self->store_dropdown, "notify::selected", G_CALLBACK (choose_store), self);
  /* In the capture phase, so that space and the arrows answer the queue
   * even where a class button has the focus. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  read_keys (self);
  vitrine_labeling_page_set_stores (self, stores);
}
