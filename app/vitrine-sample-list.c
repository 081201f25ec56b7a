/* vitrine-sample-list.c: the samples of a dataset as a filtered list. */
#include "vitrine-sample-list.h"

struct _VitrineSample
{
  GObject      parent_instance;
  guint        index;
  const char  *class_name;     /* the dataset's, which the list keeps alive */
};

G_DEFINE_FINAL_TYPE (VitrineSample, vitrine_sample, G_TYPE_OBJECT)

static void
vitrine_sample_class_init (VitrineSampleClass *klass)
{
}

static void
vitrine_sample_init (VitrineSample *self)
{
}

guint
vitrine_sample_get_index (VitrineSample *self)
{
  return self->index;
}

const char *
vitrine_sample_get_class_name (VitrineSample *self)
{
  return self->class_name;
}

struct _VitrineSampleList
{
  GObject     parent_instance;
  VtDataset  *dataset;
  GArray     *shown;          /* guint sample indices, or NULL for all */
};

static void vitrine_sample_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VitrineSampleList, vitrine_sample_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, vitrine_sample_list_model_init))

static GType
get_item_type (GListModel *model)
{
  return VITRINE_TYPE_SAMPLE;
}

static guint
get_n_items (GListModel *model)
{
  VitrineSampleList *self = VITRINE_SAMPLE_LIST (model);

  return self->shown ? self->shown->len : self->dataset->n_samples;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  VitrineSampleList *self = VITRINE_SAMPLE_LIST (model);
  VitrineSample *sample;

  if (position >= get_n_items (model))
    return NULL;
  sample = g_object_new (VITRINE_TYPE_SAMPLE, NULL);
  sample->index = self->shown ? g_array_index (self->shown, guint, position) : position;
  sample->class_name = self->dataset->class_names[self->dataset->labels[sample->index]];
  return sample;
}

static void
vitrine_sample_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
vitrine_sample_list_finalize (GObject *object)
{
  VitrineSampleList *self = VITRINE_SAMPLE_LIST (object);

  vt_dataset_unref (self->dataset);
  g_clear_pointer (&self->shown, g_array_unref);
  G_OBJECT_CLASS (vitrine_sample_list_parent_class)->finalize (object);
}

static void
vitrine_sample_list_class_init (VitrineSampleListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vitrine_sample_list_finalize;
}

static void
vitrine_sample_list_init (VitrineSampleList *self)
{
}

VitrineSampleList *
vitrine_sample_list_new (VtDataset *dataset)
{
  VitrineSampleList *self = g_object_new (VITRINE_TYPE_SAMPLE_LIST, NULL);

  self->dataset = vt_dataset_ref (dataset);
  return self;
}

void
vitrine_sample_list_set_class (VitrineSampleList *self,
                               int                label)
{
  guint before = get_n_items (G_LIST_MODEL (self));

  g_clear_pointer (&self->shown, g_array_unref);
  if (label >= 0)
    {
      self->shown = g_array_sized_new (FALSE, FALSE, sizeof (guint), self->dataset->class_counts[label]);
      for (guint i = 0; i < self->dataset->n_samples; i++)
        if (self->dataset->labels[i] == (guint) label)
          g_array_append_val (self->shown, i);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), 0, before, get_n_items (G_LIST_MODEL (self)));
}
