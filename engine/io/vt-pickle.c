/* vt-pickle.c: see vt-pickle.h. Opcode meanings from CPython's
 * Lib/pickletools.py; what torch.save writes from torch/serialization.py. */
#include "vt-pickle.h"

#include <string.h>

G_DEFINE_QUARK (vt-pickle-error-quark, vt_pickle_error)

struct _VtPickle
{
  GPtrArray     *values;     /* every value made, owned: freed together */
  GPtrArray     *storages;   /* STORAGE values, not owned */
  VtPickleValue *root;
};

/* The mark on the stack: a value that no opcode can make. */
static VtPickleValue mark_value;
#define MARK (&mark_value)

typedef struct
{
  const char    *filename;
  const guint8  *data;
  gsize          size;
  gsize          pos;
  gsize          op_pos;       /* where the current opcode starts, for messages */
  const char    *op_name;
  VtPickle      *pickle;
  GPtrArray     *stack;        /* VtPickleValue*, MARK included */
  GArray        *marks;        /* gsize: stack lengths at each MARK */
  GHashTable    *memo;         /* index -> VtPickleValue* */
} Reader;

/* The opcodes, by byte; NULL for bytes that are no opcode. Those the reader
 * runs are in the switch of run(); the others are named when refused. */
static const char *
opcode_name (guint8 op)
{
  switch (op)
    {
    case '(': return "MARK";
    case '.': return "STOP";
    case '0': return "POP";
    case '1': return "POP_MARK";
    case '2': return "DUP";
    case 'F': return "FLOAT";
    case 'I': return "INT";
    case 'J': return "BININT";
    case 'K': return "BININT1";
    case 'L': return "LONG";
    case 'M': return "BININT2";
    case 'N': return "NONE";
    case 'P': return "PERSID";
    case 'Q': return "BINPERSID";
    case 'R': return "REDUCE";
    case 'S': return "STRING";
    case 'T': return "BINSTRING";
    case 'U': return "SHORT_BINSTRING";
    case 'V': return "UNICODE";
    case 'X': return "BINUNICODE";
    case 'a': return "APPEND";
    case 'b': return "BUILD";
    case 'c': return "GLOBAL";
    case 'd': return "DICT";
    case '}': return "EMPTY_DICT";
    case 'e': return "APPENDS";
    case 'g': return "GET";
    case 'h': return "BINGET";
    case 'i': return "INST";
    case 'j': return "LONG_BINGET";
    case 'l': return "LIST";
    case ']': return "EMPTY_LIST";
    case 'o': return "OBJ";
    case 'p': return "PUT";
    case 'q': return "BINPUT";
    case 'r': return "LONG_BINPUT";
    case 's': return "SETITEM";
    case 't': return "TUPLE";
    case ')': return "EMPTY_TUPLE";
    case 'u': return "SETITEMS";
    case 'G': return "BINFLOAT";
    case 'B': return "BINBYTES";
    case 'C': return "SHORT_BINBYTES";
    case 0x80: return "PROTO";
    case 0x81: return "NEWOBJ";
    case 0x82: return "EXT1";
    case 0x83: return "EXT2";
    case 0x84: return "EXT4";
    case 0x85: return "TUPLE1";
    case 0x86: return "TUPLE2";
    case 0x87: return "TUPLE3";
    case 0x88: return "NEWTRUE";
    case 0x89: return "NEWFALSE";
    case 0x8a: return "LONG1";
    case 0x8b: return "LONG4";
    case 0x8c: return "SHORT_BINUNICODE";
    case 0x8d: return "BINUNICODE8";
    case 0x8e: return "BINBYTES8";
    case 0x8f: return "EMPTY_SET";
    case 0x90: return "ADDITEMS";
    case 0x91: return "FROZENSET";
    case 0x92: return "NEWOBJ_EX";
    case 0x93: return "STACK_GLOBAL";
    case 0x94: return "MEMOIZE";
    case 0x95: return "FRAME";
    case 0x96: return "BYTEARRAY8";
    case 0x97: return "NEXT_BUFFER";
    case 0x98: return "READONLY_BUFFER";
    default: return NULL;
    }
}

static void
value_free (VtPickleValue *value)
{
  g_free (value->string);
  g_free (value->key);
  g_clear_pointer (&value->items, g_ptr_array_unref);
  g_free (value);
}

void
vt_pickle_free (VtPickle *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->values);
  g_ptr_array_unref (self->storages);
  g_free (self);
}

static VtPickleValue *
value_new (Reader       *r,
           VtPickleKind  kind)
{
  VtPickleValue *value = g_new0 (VtPickleValue, 1);

  value->kind = kind;
  if (kind == VT_PICKLE_TUPLE || kind == VT_PICKLE_LIST || kind == VT_PICKLE_DICT)
    {
      value->items = g_ptr_array_new ();
      value->depth = 1;
    }
  g_ptr_array_add (r->pickle->values, value);
  return value;
}

static gboolean G_GNUC_PRINTF (4, 5)
fail (Reader        *r,
      GError       **error,
      VtPickleError  code,
      const char    *format,
      ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  /* The opcode is named unless the message is about the opcode itself. */
  if (r->op_name != NULL && code != VT_PICKLE_ERROR_OPCODE)
    g_set_error (error, VT_PICKLE_ERROR, code, "%s: %s (pickle opcode %s at byte %" G_GSIZE_FORMAT ")",
                 r->filename, what, r->op_name, r->op_pos);
  else
    g_set_error (error, VT_PICKLE_ERROR, code, "%s: %s (at byte %" G_GSIZE_FORMAT ")", r->filename, what, r->op_pos);
  return FALSE;
}

static const char *
kind_name (const VtPickleValue *value)
{
  if (value == MARK)
    return "a mark";
  switch (value->kind)
    {
    case VT_PICKLE_NONE: return "None";
    case VT_PICKLE_BOOL: return "a bool";
    case VT_PICKLE_INT: case VT_PICKLE_BIGINT: return "an int";
    case VT_PICKLE_FLOAT: return "a float";
    case VT_PICKLE_STRING: return "a string";
    case VT_PICKLE_BYTES: return "bytes";
    case VT_PICKLE_TUPLE: return "a tuple";
    case VT_PICKLE_LIST: return "a list";
    case VT_PICKLE_DICT: return "a dict";
    case VT_PICKLE_GLOBAL: return "a global";
    case VT_PICKLE_STORAGE: return "a storage";
    case VT_PICKLE_TENSOR: return "a tensor";
    default: return "a value";
    }
}

/* Bytes of an argument, or a "truncated" error. */
static const guint8 *
take (Reader  *r,
      gsize    n,
      GError **error)
{
  const guint8 *p;

  if (n > r->size - r->pos)
    {
      fail (r, error, VT_PICKLE_ERROR_TRUNCATED, "the pickle ends inside an argument of %" G_GSIZE_FORMAT " bytes", n);
      return NULL;
    }
  p = r->data + r->pos;
  r->pos += n;
  return p;
}

static gboolean
take_uint (Reader  *r,
           gsize    n,
           guint64 *out,
           GError **error)
{
  const guint8 *p = take (r, n, error);

  if (p == NULL)
    return FALSE;
  *out = 0;
  for (gsize i = 0; i < n; i++)
    *out |= (guint64) p[i] << (8 * i);
  return TRUE;
}

static gboolean
push (Reader         *r,
      VtPickleValue  *value,
      GError        **error)
{
  if (r->stack->len >= VT_PICKLE_MAX_STACK)
    return fail (r, error, VT_PICKLE_ERROR_LIMIT, "the stack holds more than %u values", VT_PICKLE_MAX_STACK);
  g_ptr_array_add (r->stack, value);
  return TRUE;
}

/* Pops a value that is not a mark. */
static VtPickleValue *
pop (Reader  *r,
     GError **error)
{
  VtPickleValue *value;

  if (r->stack->len == 0 || (r->marks->len > 0 && r->stack->len <= g_array_index (r->marks, gsize, r->marks->len - 1)))
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "the stack is empty");
      return NULL;
    }
  value = g_ptr_array_steal_index (r->stack, r->stack->len - 1);
  return value;
}

static VtPickleValue *
top (Reader  *r,
     GError **error)
{
  if (r->stack->len == 0 || (r->marks->len > 0 && r->stack->len <= g_array_index (r->marks, gsize, r->marks->len - 1)))
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "the stack is empty");
      return NULL;
    }
  return g_ptr_array_index (r->stack, r->stack->len - 1);
}

/* Pops everything above the last mark, and the mark: the values in @items
 * (a new array, not owning them), oldest first. */
static GPtrArray *
pop_mark (Reader  *r,
          GError **error)
{
  gsize at;
  GPtrArray *items;

  if (r->marks->len == 0)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "no MARK to pop to");
      return NULL;
    }
  at = g_array_index (r->marks, gsize, r->marks->len - 1);
  g_array_set_size (r->marks, r->marks->len - 1);
  items = g_ptr_array_new_full (r->stack->len - at, NULL);
  for (gsize i = at; i < r->stack->len; i++)
    g_ptr_array_add (items, g_ptr_array_index (r->stack, i));
  g_ptr_array_set_size (r->stack, at - 1);   /* the mark itself goes too */
  return items;
}

/* Puts @child inside @container, keeping the nesting depth bounded. A
 * container cannot hold itself; a cycle through a container changed after it
 * was inserted elsewhere escapes this count, so every walk over values
 * (vt_pickle_value_describe, the state-dict search) has its own depth limit. */
static gboolean
add_item (Reader         *r,
          VtPickleValue  *container,
          VtPickleValue  *child,
          GError        **error)
{
  if (child == container)
    return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a container would hold itself");
  if (child->depth + 1 > VT_PICKLE_MAX_DEPTH)
    return fail (r, error, VT_PICKLE_ERROR_LIMIT, "values nest more than %d levels deep", VT_PICKLE_MAX_DEPTH);
  container->depth = MAX (container->depth, child->depth + 1);
  g_ptr_array_add (container->items, child);
  return TRUE;
}

static VtPickleValue *
make_sequence (Reader       *r,
               VtPickleKind  kind,
               GPtrArray    *items,
               GError      **error)
{
  VtPickleValue *value = value_new (r, kind);

  for (guint i = 0; i < items->len; i++)
    if (!add_item (r, value, g_ptr_array_index (items, i), error))
      return NULL;
  return value;
}

static gboolean
set_items (Reader         *r,
           VtPickleValue  *dict,
           GPtrArray      *items,
           GError        **error)
{
  if (dict->kind != VT_PICKLE_DICT)
    return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "SETITEM on %s, not a dict", kind_name (dict));
  if (items->len % 2 != 0)
    return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "an odd number of values for a dict's keys and values");
  for (guint i = 0; i < items->len; i++)
    if (!add_item (r, dict, g_ptr_array_index (items, i), error))
      return FALSE;
  return TRUE;
}

static gboolean
append_items (Reader         *r,
              VtPickleValue  *list,
              GPtrArray      *items,
              GError        **error)
{
  if (list->kind != VT_PICKLE_LIST)
    return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "APPEND to %s, not a list", kind_name (list));
  for (guint i = 0; i < items->len; i++)
    if (!add_item (r, list, g_ptr_array_index (items, i), error))
      return FALSE;
  return TRUE;
}

/* The storage types a persistent id may name, and their dtypes. */
static const struct
{
  const char *name;
  gboolean    known;
  VtDType     dtype;
} storage_types[] = {
  { "torch.FloatStorage", TRUE, VT_DTYPE_F32 },
  { "torch.DoubleStorage", TRUE, VT_DTYPE_F64 },
  { "torch.HalfStorage", TRUE, VT_DTYPE_F16 },
  { "torch.BFloat16Storage", TRUE, VT_DTYPE_BF16 },
  { "torch.LongStorage", TRUE, VT_DTYPE_I64 },
  { "torch.IntStorage", TRUE, VT_DTYPE_I32 },
  { "torch.ByteStorage", TRUE, VT_DTYPE_U8 },
  { "torch.BoolStorage", TRUE, VT_DTYPE_BOOL },
  /* Legal in a state dict, but no dtype of ours: refused per tensor. */
  { "torch.ShortStorage", FALSE, VT_DTYPE_F32 },
  { "torch.CharStorage", FALSE, VT_DTYPE_F32 },
  { "torch.ComplexFloatStorage", FALSE, VT_DTYPE_F32 },
  { "torch.ComplexDoubleStorage", FALSE, VT_DTYPE_F32 },
};

/* The other globals a state dict needs; REDUCE knows what each means. */
static const char *const allowed_globals[] = {
  "collections.OrderedDict",
  "torch._utils._rebuild_tensor_v2",
  "torch._utils._rebuild_tensor",
  "torch._utils._rebuild_parameter",
};

static gint
find_storage_type (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (storage_types); i++)
    if (g_str_equal (storage_types[i].name, name))
      return (gint) i;
  return -1;
}

static gboolean
push_global (Reader      *r,
             const char  *module,
             gsize        module_length,
             const char  *name,
             gsize        name_length,
             GError     **error)
{
  g_autofree char *full = g_strdup_printf ("%.*s.%.*s", (int) module_length, module, (int) name_length, name);
  gboolean allowed = find_storage_type (full) >= 0;
  VtPickleValue *value;

  for (guint i = 0; !allowed && i < G_N_ELEMENTS (allowed_globals); i++)
    allowed = g_str_equal (allowed_globals[i], full);
  if (!allowed)
    {
      /* The name as given, made printable: it may hold any bytes. */
      g_autofree char *shown = g_strescape (full, NULL);
      return fail (r, error, VT_PICKLE_ERROR_GLOBAL,
                   "pickle global %s is not allowed: a checkpoint may only rebuild tensors, dicts, lists, "
                   "numbers and strings", shown);
    }
  value = value_new (r, VT_PICKLE_GLOBAL);
  value->string = g_steal_pointer (&full);
  value->length = strlen (value->string);
  return push (r, value, error);
}

/* GLOBAL's argument: "module\nname\n". */
static gboolean
read_line (Reader      *r,
           const char **line,
           gsize       *length,
           GError     **error)
{
  const guint8 *start = r->data + r->pos;
  const guint8 *end = memchr (start, '\n', r->size - r->pos);

  if (end == NULL)
    return fail (r, error, VT_PICKLE_ERROR_TRUNCATED, "the pickle ends inside a global's name");
  *line = (const char *) start;
  *length = (gsize) (end - start);
  r->pos += *length + 1;
  return TRUE;
}

static gboolean
is_int (const VtPickleValue *value)
{
  return value->kind == VT_PICKLE_INT;
}

static gboolean
is_string (const VtPickleValue *value)
{
  return value->kind == VT_PICKLE_STRING;
}

/* BINPERSID: torch's persistent id of a storage,
 * ('storage', type, key, location, numel) in the zip format and
 * ('storage', type, key, location, numel, view_metadata) in the legacy one. */
static VtPickleValue *
make_storage (Reader         *r,
              VtPickleValue  *pid,
              GError        **error)
{
  VtPickleValue *value, *type;
  gint found;

  if (pid->kind != VT_PICKLE_TUPLE || pid->items->len < 5 || pid->items->len > 6 ||
      !is_string (g_ptr_array_index (pid->items, 0)) ||
      !g_str_equal (((VtPickleValue *) g_ptr_array_index (pid->items, 0))->string, "storage"))
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED,
            "a persistent id that is not a storage ('storage', type, key, location, size)");
      return NULL;
    }
  type = g_ptr_array_index (pid->items, 1);
  if (type->kind != VT_PICKLE_GLOBAL || (found = find_storage_type (type->string)) < 0)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a storage whose type is %s, not a torch storage type",
            type->kind == VT_PICKLE_GLOBAL ? type->string : kind_name (type));
      return NULL;
    }
  if (!is_string (g_ptr_array_index (pid->items, 2)) || !is_int (g_ptr_array_index (pid->items, 4)) ||
      ((VtPickleValue *) g_ptr_array_index (pid->items, 4))->integer < 0)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a storage without a string key and a size");
      return NULL;
    }
  if (pid->items->len == 6 && ((VtPickleValue *) g_ptr_array_index (pid->items, 5))->kind != VT_PICKLE_NONE)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED,
            "a storage view (PyTorch before 0.4), which Vitrine does not read; load and save the file again "
            "with a recent PyTorch");
      return NULL;
    }
  value = value_new (r, VT_PICKLE_STORAGE);
  value->string = g_strdup (type->string);
  value->length = strlen (value->string);
  value->key = g_strdup (((VtPickleValue *) g_ptr_array_index (pid->items, 2))->string);
  value->dtype_known = storage_types[found].known;
  value->dtype = storage_types[found].dtype;
  value->numel = ((VtPickleValue *) g_ptr_array_index (pid->items, 4))->integer;
  g_ptr_array_add (r->pickle->storages, value);
  return value;
}

/* _rebuild_tensor_v2 (storage, storage_offset, size, stride, requires_grad,
 * backward_hooks[, metadata]) and _rebuild_tensor (storage, storage_offset,
 * size, stride): the view, checked against its storage later (vt-pth.c),
 * when the storage's bytes are known. */
static VtPickleValue *
make_tensor (Reader         *r,
             GPtrArray      *args,
             GError        **error)
{
  VtPickleValue *value, *storage, *offset, *size, *stride;

  if (args->len < 4)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a tensor rebuilt from %u arguments, not at least 4", args->len);
      return NULL;
    }
  storage = g_ptr_array_index (args, 0);
  offset = g_ptr_array_index (args, 1);
  size = g_ptr_array_index (args, 2);
  stride = g_ptr_array_index (args, 3);
  if (storage->kind != VT_PICKLE_STORAGE)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a tensor rebuilt from %s, not a storage", kind_name (storage));
      return NULL;
    }
  if (!is_int (offset) || offset->integer < 0 || size->kind != VT_PICKLE_TUPLE || stride->kind != VT_PICKLE_TUPLE ||
      size->items->len != stride->items->len)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED,
            "a tensor rebuilt without an offset and a size and stride of one length");
      return NULL;
    }
  if (size->items->len > VT_TENSOR_MAX_DIMS)
    {
      fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a tensor of %u dimensions (at most %d)",
            size->items->len, VT_TENSOR_MAX_DIMS);
      return NULL;
    }
  value = value_new (r, VT_PICKLE_TENSOR);
  value->storage = storage;
  value->offset = offset->integer;
  value->ndim = size->items->len;
  for (guint i = 0; i < value->ndim; i++)
    {
      const VtPickleValue *n = g_ptr_array_index (size->items, i);
      const VtPickleValue *s = g_ptr_array_index (stride->items, i);

      if (!is_int (n) || !is_int (s) || n->integer < 0 || s->integer < 0)
        {
          fail (r, error, VT_PICKLE_ERROR_MALFORMED, "a tensor whose size or stride is not a list of counts");
          return NULL;
        }
      value->shape[i] = n->integer;
      value->stride[i] = s->integer;
    }
  return value;
}

static gboolean
reduce (Reader  *r,
        GError **error)
{
  VtPickleValue *args, *callable, *result = NULL;

  if ((args = pop (r, error)) == NULL || (callable = pop (r, error)) == NULL)
    return FALSE;
  if (callable->kind != VT_PICKLE_GLOBAL)
    return fail (r, error, VT_PICKLE_ERROR_REDUCE, "pickle REDUCE of %s is not allowed", kind_name (callable));
  if (args->kind != VT_PICKLE_TUPLE)
    return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "REDUCE with %s for arguments, not a tuple", kind_name (args));

  if (g_str_equal (callable->string, "collections.OrderedDict") && args->items->len == 0)
    result = value_new (r, VT_PICKLE_DICT);
  else if (g_str_equal (callable->string, "torch._utils._rebuild_tensor_v2") ||
           g_str_equal (callable->string, "torch._utils._rebuild_tensor"))
    {
      if ((result = make_tensor (r, args->items, error)) == NULL)
        return FALSE;
    }
  else if (g_str_equal (callable->string, "torch._utils._rebuild_parameter") && args->items->len >= 1 &&
           ((VtPickleValue *) g_ptr_array_index (args->items, 0))->kind == VT_PICKLE_TENSOR)
    result = g_ptr_array_index (args->items, 0);   /* a Parameter is its tensor */
  else
    return fail (r, error, VT_PICKLE_ERROR_REDUCE, "pickle REDUCE of %s with %u arguments is not allowed",
                 callable->string, args->items->len);
  return push (r, result, error);
}

static gboolean
memo_put (Reader  *r,
          guint64  index,
          GError **error)
{
  VtPickleValue *value = top (r, error);

  if (value == NULL)
    return FALSE;
  if (!g_hash_table_contains (r->memo, GSIZE_TO_POINTER (index)) &&
      g_hash_table_size (r->memo) >= VT_PICKLE_MAX_MEMO)
    return fail (r, error, VT_PICKLE_ERROR_LIMIT, "the memo holds more than %u values", VT_PICKLE_MAX_MEMO);
  g_hash_table_insert (r->memo, GSIZE_TO_POINTER ((gsize) index), value);
  return TRUE;
}

static gboolean
memo_get (Reader  *r,
          guint64  index,
          GError **error)
{
  VtPickleValue *value = g_hash_table_lookup (r->memo, GSIZE_TO_POINTER ((gsize) index));

  if (value == NULL)
    return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "memo entry %" G_GUINT64_FORMAT " was never stored", index);
  return push (r, value, error);
}

static gboolean
push_string (Reader        *r,
             VtPickleKind   kind,
             gsize          length_bytes,
             GError       **error)
{
  guint64 length;
  const guint8 *bytes;
  VtPickleValue *value;

  if (!take_uint (r, length_bytes, &length, error))
    return FALSE;
  if (length > r->size - r->pos)
    return fail (r, error, VT_PICKLE_ERROR_TRUNCATED, "a string of %" G_GUINT64_FORMAT " bytes runs past the end", length);
  bytes = take (r, (gsize) length, error);
  value = value_new (r, kind);
  value->string = g_strndup ((const char *) bytes, (gsize) length);
  value->length = (gsize) length;
  return push (r, value, error);
}

static gboolean
push_int (Reader  *r,
          gint64   integer,
          GError **error)
{
  VtPickleValue *value = value_new (r, VT_PICKLE_INT);

  value->integer = integer;
  return push (r, value, error);
}

/* LONG1: little-endian two's complement of n bytes. */
static gboolean
push_long (Reader  *r,
           gsize    n,
           GError **error)
{
  const guint8 *bytes = take (r, n, error);
  VtPickleValue *value;

  if (bytes == NULL)
    return FALSE;
  if (n <= 8)
    {
      guint64 u = 0;

      for (gsize i = 0; i < n; i++)
        u |= (guint64) bytes[i] << (8 * i);
      if (n > 0 && n < 8 && (bytes[n - 1] & 0x80))
        u |= ~(guint64) 0 << (8 * n);   /* sign-extend */
      return push_int (r, (gint64) u, error);
    }
  value = value_new (r, VT_PICKLE_BIGINT);
  value->string = g_memdup2 (bytes, n);
  value->length = n;
  return push (r, value, error);
}

static gboolean
build_tuple (Reader  *r,
             guint    n,
             GError **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  VtPickleValue *tuple;

  for (guint i = 0; i < n; i++)
    {
      VtPickleValue *item = pop (r, error);
      if (item == NULL)
        return FALSE;
      g_ptr_array_insert (items, 0, item);
    }
  if ((tuple = make_sequence (r, VT_PICKLE_TUPLE, items, error)) == NULL)
    return FALSE;
  return push (r, tuple, error);
}

/* Runs opcodes up to STOP. */
static gboolean
run (Reader  *r,
     GError **error)
{
  for (;;)
    {
      guint8 op;
      guint64 u;

      r->op_pos = r->pos;
      r->op_name = NULL;
      if (r->pos >= r->size)
        return fail (r, error, VT_PICKLE_ERROR_TRUNCATED, "the pickle ends before its STOP");
      op = r->data[r->pos++];
      r->op_name = opcode_name (op);

      switch (op)
        {
        case 0x80:   /* PROTO */
          if (!take_uint (r, 1, &u, error))
            return FALSE;
          if (u < 2 || u > 5)
            return fail (r, error, VT_PICKLE_ERROR_OPCODE, "pickle protocol %" G_GUINT64_FORMAT " (2 to 5 are read)", u);
          break;
        case 0x95:   /* FRAME: a length hint, the frame's opcodes follow inline */
          if (!take_uint (r, 8, &u, error))
            return FALSE;
          break;
        case '.':    /* STOP */
          {
            VtPickleValue *root = pop (r, error);

            if (root == NULL)
              return FALSE;
            r->pickle->root = root;
            return TRUE;
          }
        case '(':    /* MARK */
          if (r->marks->len >= VT_PICKLE_MAX_DEPTH)
            return fail (r, error, VT_PICKLE_ERROR_LIMIT, "marks nest more than %d deep", VT_PICKLE_MAX_DEPTH);
          if (!push (r, MARK, error))
            return FALSE;
          {
            gsize at = r->stack->len;
            g_array_append_val (r->marks, at);
          }
          break;
        case '0':    /* POP */
          if (pop (r, error) == NULL)
            return FALSE;
          break;
        case '1':    /* POP_MARK */
          {
            g_autoptr(GPtrArray) items = pop_mark (r, error);
            if (items == NULL)
              return FALSE;
          }
          break;
        case '2':    /* DUP */
          {
            VtPickleValue *value = top (r, error);
            if (value == NULL || !push (r, value, error))
              return FALSE;
          }
          break;
        case 'N':
          if (!push (r, value_new (r, VT_PICKLE_NONE), error))
            return FALSE;
          break;
        case 0x88:   /* NEWTRUE */
        case 0x89:   /* NEWFALSE */
          {
            VtPickleValue *value = value_new (r, VT_PICKLE_BOOL);
            value->boolean = op == 0x88;
            if (!push (r, value, error))
              return FALSE;
          }
          break;
        case 'K':    /* BININT1 */
          if (!take_uint (r, 1, &u, error) || !push_int (r, (gint64) u, error))
            return FALSE;
          break;
        case 'M':    /* BININT2 */
          if (!take_uint (r, 2, &u, error) || !push_int (r, (gint64) u, error))
            return FALSE;
          break;
        case 'J':    /* BININT: signed 32 bits */
          if (!take_uint (r, 4, &u, error) || !push_int (r, (gint64) (gint32) (guint32) u, error))
            return FALSE;
          break;
        case 0x8a:   /* LONG1 */
          if (!take_uint (r, 1, &u, error) || !push_long (r, (gsize) u, error))
            return FALSE;
          break;
        case 'G':    /* BINFLOAT: big-endian double */
          {
            guint64 bits = 0;
            const guint8 *p = take (r, 8, error);
            VtPickleValue *value;

            if (p == NULL)
              return FALSE;
            for (int i = 0; i < 8; i++)
              bits = (bits << 8) | p[i];
            value = value_new (r, VT_PICKLE_FLOAT);
            memcpy (&value->number, &bits, sizeof bits);
            if (!push (r, value, error))
              return FALSE;
          }
          break;
        case 'X':    /* BINUNICODE */
          if (!push_string (r, VT_PICKLE_STRING, 4, error))
            return FALSE;
          break;
        case 0x8c:   /* SHORT_BINUNICODE */
          if (!push_string (r, VT_PICKLE_STRING, 1, error))
            return FALSE;
          break;
        case 'T':    /* BINSTRING: Python 2's str, read as text */
          if (!push_string (r, VT_PICKLE_STRING, 4, error))
            return FALSE;
          break;
        case 'U':    /* SHORT_BINSTRING */
          if (!push_string (r, VT_PICKLE_STRING, 1, error))
            return FALSE;
          break;
        case 'B':    /* BINBYTES */
          if (!push_string (r, VT_PICKLE_BYTES, 4, error))
            return FALSE;
          break;
        case 'C':    /* SHORT_BINBYTES */
          if (!push_string (r, VT_PICKLE_BYTES, 1, error))
            return FALSE;
          break;
        case ')':    /* EMPTY_TUPLE */
          if (!build_tuple (r, 0, error))
            return FALSE;
          break;
        case 0x85:   /* TUPLE1 */
        case 0x86:   /* TUPLE2 */
        case 0x87:   /* TUPLE3 */
          if (!build_tuple (r, op - 0x84, error))
            return FALSE;
          break;
        case 't':    /* TUPLE */
        case 'l':    /* LIST */
        case 'd':    /* DICT */
          {
            g_autoptr(GPtrArray) items = pop_mark (r, error);
            VtPickleValue *value;

            if (items == NULL)
              return FALSE;
            if (op == 'd')
              {
                value = value_new (r, VT_PICKLE_DICT);
                if (!set_items (r, value, items, error))
                  return FALSE;
              }
            else if ((value = make_sequence (r, op == 't' ? VT_PICKLE_TUPLE : VT_PICKLE_LIST, items, error)) == NULL)
              return FALSE;
            if (!push (r, value, error))
              return FALSE;
          }
          break;
        case ']':    /* EMPTY_LIST */
          if (!push (r, value_new (r, VT_PICKLE_LIST), error))
            return FALSE;
          break;
        case '}':    /* EMPTY_DICT */
          if (!push (r, value_new (r, VT_PICKLE_DICT), error))
            return FALSE;
          break;
        case 'a':    /* APPEND */
          {
            g_autoptr(GPtrArray) items = g_ptr_array_new ();
            VtPickleValue *item, *list;

            if ((item = pop (r, error)) == NULL || (list = top (r, error)) == NULL)
              return FALSE;
            g_ptr_array_add (items, item);
            if (!append_items (r, list, items, error))
              return FALSE;
          }
          break;
        case 'e':    /* APPENDS */
        case 'u':    /* SETITEMS */
          {
            g_autoptr(GPtrArray) items = pop_mark (r, error);
            VtPickleValue *container;

            if (items == NULL || (container = top (r, error)) == NULL)
              return FALSE;
            if (op == 'e' ? !append_items (r, container, items, error) : !set_items (r, container, items, error))
              return FALSE;
          }
          break;
        case 's':    /* SETITEM */
          {
            g_autoptr(GPtrArray) items = g_ptr_array_new ();
            VtPickleValue *key, *value, *dict;

            if ((value = pop (r, error)) == NULL || (key = pop (r, error)) == NULL || (dict = top (r, error)) == NULL)
              return FALSE;
            g_ptr_array_add (items, key);
            g_ptr_array_add (items, value);
            if (!set_items (r, dict, items, error))
              return FALSE;
          }
          break;
        case 'q':    /* BINPUT */
          if (!take_uint (r, 1, &u, error) || !memo_put (r, u, error))
            return FALSE;
          break;
        case 'r':    /* LONG_BINPUT */
          if (!take_uint (r, 4, &u, error) || !memo_put (r, u, error))
            return FALSE;
          break;
        case 0x94:   /* MEMOIZE: the next index */
          if (!memo_put (r, g_hash_table_size (r->memo), error))
            return FALSE;
          break;
        case 'h':    /* BINGET */
          if (!take_uint (r, 1, &u, error) || !memo_get (r, u, error))
            return FALSE;
          break;
        case 'j':    /* LONG_BINGET */
          if (!take_uint (r, 4, &u, error) || !memo_get (r, u, error))
            return FALSE;
          break;
        case 'c':    /* GLOBAL */
          {
            const char *module = NULL, *name = NULL;
            gsize module_length = 0, name_length = 0;

            if (!read_line (r, &module, &module_length, error) || !read_line (r, &name, &name_length, error) ||
                !push_global (r, module, module_length, name, name_length, error))
              return FALSE;
          }
          break;
        case 0x93:   /* STACK_GLOBAL */
          {
            VtPickleValue *name, *module;

            if ((name = pop (r, error)) == NULL || (module = pop (r, error)) == NULL)
              return FALSE;
            if (!is_string (name) || !is_string (module))
              return fail (r, error, VT_PICKLE_ERROR_MALFORMED, "STACK_GLOBAL of %s and %s, not strings",
                           kind_name (module), kind_name (name));
            if (!push_global (r, module->string, module->length, name->string, name->length, error))
              return FALSE;
          }
          break;
        case 'R':    /* REDUCE */
          if (!reduce (r, error))
            return FALSE;
          break;
        case 'b':    /* BUILD */
          {
            VtPickleValue *state, *object;

            if ((state = pop (r, error)) == NULL || (object = top (r, error)) == NULL)
              return FALSE;
            /* An OrderedDict's instance attributes: a state dict's
             * _metadata (module versions), not needed to read it. */
            if (object->kind != VT_PICKLE_DICT || state->kind != VT_PICKLE_DICT)
              return fail (r, error, VT_PICKLE_ERROR_REDUCE, "pickle BUILD of %s from %s is not allowed",
                           kind_name (object), kind_name (state));
          }
          break;
        case 'Q':    /* BINPERSID */
          {
            VtPickleValue *pid, *storage;

            if ((pid = pop (r, error)) == NULL || (storage = make_storage (r, pid, error)) == NULL ||
                !push (r, storage, error))
              return FALSE;
          }
          break;
        default:
          if (r->op_name != NULL)
            return fail (r, error, VT_PICKLE_ERROR_OPCODE, "pickle opcode %s is not allowed", r->op_name);
          return fail (r, error, VT_PICKLE_ERROR_OPCODE, "byte 0x%02x is not a pickle opcode", op);
        }
    }
}

VtPickle *
vt_pickle_load (const guint8  *data,
                gsize          size,
                gsize          start,
                const char    *filename,
                gsize         *end,
                GError       **error)
{
  g_autoptr(VtPickle) self = g_new0 (VtPickle, 1);
  g_autoptr(GPtrArray) stack = g_ptr_array_new ();
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GHashTable) memo = g_hash_table_new (NULL, NULL);
  Reader r = {
    .filename = filename, .data = data, .size = size, .pos = MIN (start, size),
    .pickle = self, .stack = stack, .marks = marks, .memo = memo,
  };

  self->values = g_ptr_array_new_with_free_func ((GDestroyNotify) value_free);
  self->storages = g_ptr_array_new ();
  if (!run (&r, error))
    return NULL;
  if (end != NULL)
    *end = r.pos;
  return g_steal_pointer (&self);
}

const VtPickleValue *
vt_pickle_get_root (VtPickle *self)
{
  return self->root;
}

GPtrArray *
vt_pickle_get_storages (VtPickle *self)
{
  return self->storages;
}

const VtPickleValue *
vt_pickle_dict_lookup (const VtPickleValue *dict,
                       const char          *key)
{
  if (dict->kind != VT_PICKLE_DICT)
    return NULL;
  /* The last one wins, as in Python. */
  for (guint i = dict->items->len; i >= 2; i -= 2)
    {
      const VtPickleValue *k = g_ptr_array_index (dict->items, i - 2);
      if (k->kind == VT_PICKLE_STRING && g_str_equal (k->string, key))
        return g_ptr_array_index (dict->items, i - 1);
    }
  return NULL;
}

/* The shortest decimal that reads back as @x, as Python's repr writes it. */
static char *
format_double (double x)
{
  for (int digits = 1; digits <= 17; digits++)
    {
      char *text = g_strdup_printf ("%.*g", digits, x);
      if (g_ascii_strtod (text, NULL) == x || digits == 17)
        return text;
      g_free (text);
    }
  g_assert_not_reached ();
}

char *
vt_pickle_value_describe (const VtPickleValue *value)
{
  switch (value->kind)
    {
    case VT_PICKLE_NONE: return g_strdup ("None");
    case VT_PICKLE_BOOL: return g_strdup (value->boolean ? "True" : "False");
    case VT_PICKLE_INT: return g_strdup_printf ("%" G_GINT64_FORMAT, value->integer);
    case VT_PICKLE_BIGINT: return g_strdup_printf ("an integer of %" G_GSIZE_FORMAT " bytes", value->length);
    case VT_PICKLE_FLOAT: return format_double (value->number);
    case VT_PICKLE_STRING:
      {
        g_autofree char *valid = g_utf8_make_valid (value->string, (gssize) value->length);
        if (g_utf8_strlen (valid, -1) > 200)
          return g_strdup_printf ("a string of %" G_GSIZE_FORMAT " bytes", value->length);
        return g_steal_pointer (&valid);
      }
    case VT_PICKLE_BYTES: return g_strdup_printf ("%" G_GSIZE_FORMAT " bytes", value->length);
    case VT_PICKLE_TUPLE: return g_strdup_printf ("a tuple of %u items", value->items->len);
    case VT_PICKLE_LIST: return g_strdup_printf ("a list of %u items", value->items->len);
    case VT_PICKLE_DICT: return g_strdup_printf ("a dict of %u entries", value->items->len / 2);
    case VT_PICKLE_GLOBAL: return g_strdup (value->string);
    case VT_PICKLE_STORAGE: return g_strdup_printf ("a %s of %" G_GINT64_FORMAT " elements", value->string, value->numel);
    case VT_PICKLE_TENSOR:
      {
        GString *text = g_string_new ("a tensor [");
        for (guint i = 0; i < value->ndim; i++)
          g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i ? ", " : "", value->shape[i]);
        g_string_append (text, "]");
        return g_string_free (text, FALSE);
      }
    default:
      return g_strdup ("?");
    }
}
