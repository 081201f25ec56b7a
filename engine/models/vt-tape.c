/* vt-tape.c: named activations and their gradients in one arena. */
#include "vt-tape.h"

#include <string.h>

/* Floats per 64 bytes: every node starts on a cache line. */
#define ALIGN_FLOATS 16

struct _VtTape
{
  char       *key;
  GPtrArray  *nodes;     /* VtTapeNode, owned */
  GHashTable *by_name;   /* name (owned) -> node */
  GPtrArray  *names;     /* forward order, aliases included (borrowed from by_name) */
  float      *scratch[2];
  float      *arena;
  gsize       floats;
};

static void
node_free (gpointer data)
{
  VtTapeNode *node = data;

  g_free (node->name);
  g_free (node);
}

VtTape *
vt_tape_new (void)
{
  VtTape *tape = g_new0 (VtTape, 1);

  tape->nodes = g_ptr_array_new_with_free_func (node_free);
  tape->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  tape->names = g_ptr_array_new ();
  return tape;
}

void
vt_tape_free (VtTape *tape)
{
  if (tape == NULL)
    return;
  g_free (tape->key);
  g_ptr_array_unref (tape->names);
  g_hash_table_unref (tape->by_name);
  g_ptr_array_unref (tape->nodes);
  g_aligned_free (tape->arena);
  g_free (tape);
}

gboolean
vt_tape_begin (VtTape     *tape,
               const char *key)
{
  if (tape->key != NULL && strcmp (tape->key, key) == 0)
    return TRUE;
  g_free (tape->key);
  tape->key = g_strdup (key);
  g_ptr_array_set_size (tape->names, 0);
  g_hash_table_remove_all (tape->by_name);
  g_ptr_array_set_size (tape->nodes, 0);
  tape->scratch[0] = tape->scratch[1] = NULL;
  g_clear_pointer (&tape->arena, g_aligned_free);
  tape->floats = 0;
  return FALSE;
}

static gsize
round_up (gsize n)
{
  return (n + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
}

static void
add_name (VtTape     *tape,
          VtTapeNode *node,
          const char *name)
{
  char *owned = g_strdup (name);

  g_hash_table_replace (tape->by_name, owned, node);
  g_ptr_array_add (tape->names, owned);
}

VtTapeNode *
vt_tape_node (VtTape       *tape,
              const char   *name,
              guint         ndim,
              const gint64 *shape)
{
  VtTapeNode *node = g_new0 (VtTapeNode, 1);

  g_return_val_if_fail (ndim >= 1 && ndim <= 4 && tape->arena == NULL, NULL);
  node->name = g_strdup (name);
  node->ndim = ndim;
  node->numel = 1;
  for (guint d = 0; d < ndim; d++)
    {
      node->shape[d] = shape[d];
      node->numel *= (gsize) shape[d];
    }
  node->order = (int) tape->nodes->len;
  g_ptr_array_add (tape->nodes, node);
  add_name (tape, node, name);
  tape->floats += 2 * round_up (node->numel);
  return node;
}

VtTapeNode *
vt_tape_work (VtTape *tape,
              gsize   n)
{
  VtTapeNode *node = g_new0 (VtTapeNode, 1);

  g_return_val_if_fail (tape->arena == NULL, NULL);
  node->ndim = 1;
  node->shape[0] = (gint64) n;
  node->numel = n;
  node->order = -1;
  g_ptr_array_add (tape->nodes, node);
  tape->floats += round_up (n);
  return node;
}

void
vt_tape_alias (VtTape     *tape,
               VtTapeNode *node,
               const char *name)
{
  add_name (tape, node, name);
}

float *
vt_tape_scratch (VtTape *tape,
                 int     which)
{
  g_return_val_if_fail (tape->arena != NULL && (which == 0 || which == 1), NULL);
  return tape->scratch[which];
}

void
vt_tape_allocate (VtTape *tape)
{
  gsize at = 0, biggest = 0;

  g_return_if_fail (tape->arena == NULL);
  /* Two scratches of the largest node's size: no backward step needs more. */
  for (guint i = 0; i < tape->nodes->len; i++)
    biggest = MAX (biggest, ((VtTapeNode *) g_ptr_array_index (tape->nodes, i))->numel);
  tape->floats += 2 * round_up (biggest);
  tape->arena = g_aligned_alloc0 (MAX (tape->floats, 1), sizeof (float), 64);
  for (guint i = 0; i < tape->nodes->len; i++)
    {
      VtTapeNode *node = g_ptr_array_index (tape->nodes, i);

      node->value = tape->arena + at;
      at += round_up (node->numel);
      if (node->name == NULL)
        continue;
      node->grad = tape->arena + at;
      at += round_up (node->numel);
    }
  tape->scratch[0] = tape->arena + at;
  tape->scratch[1] = tape->arena + at + round_up (biggest);
}

gsize
vt_tape_floats (VtTape *tape)
{
  gsize biggest = 0;

  if (tape->arena != NULL)
    return tape->floats;
  for (guint i = 0; i < tape->nodes->len; i++)
    biggest = MAX (biggest, ((VtTapeNode *) g_ptr_array_index (tape->nodes, i))->numel);
  return tape->floats + 2 * round_up (biggest);
}

VtTapeNode *
vt_tape_lookup (VtTape     *tape,
                const char *name)
{
  return g_hash_table_lookup (tape->by_name, name);
}

GPtrArray *
vt_tape_names (VtTape *tape)
{
  return g_ptr_array_ref (tape->names);
}

void
vt_tape_zero_grad (VtTape *tape)
{
  for (guint i = 0; i < tape->nodes->len; i++)
    {
      VtTapeNode *node = g_ptr_array_index (tape->nodes, i);

      if (node->grad != NULL && !node->assigned)
        memset (node->grad, 0, sizeof (float) * node->numel);
    }
}
