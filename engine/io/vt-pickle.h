/* vt-pickle.h: a restricted unpickler for PyTorch checkpoints.
 *
 * A .pth file is a Python pickle, and a pickle is a program: its GLOBAL and
 * REDUCE opcodes call any function Python can import (os.system included).
 * This reader never calls anything. It knows the opcodes torch.save writes
 * (protocol 2, and the few of protocols 3 to 5 a user's pickle_protocol may
 * add) and builds plain values from them: None, bools, integers, floats,
 * strings, bytes, tuples, lists, dicts. The only globals it accepts are the
 * ones a state dict needs, and each is understood, not called:
 * collections.OrderedDict (an empty dict), torch._utils._rebuild_tensor_v2,
 * _rebuild_tensor and _rebuild_parameter (a tensor: storage, offset, shape,
 * strides), and the storage types (torch.FloatStorage, …) that torch's
 * persistent ids name. Any other global, opcode or REDUCE is refused with a
 * message naming it.
 *
 * Every bound is explicit: the stack, the memo, the marks and the nesting
 * depth of containers (a recursion bomb is refused, not recursed into), and
 * every length is checked against the bytes there are. */
#pragma once

#include "core/vt-tensor.h"

G_BEGIN_DECLS

#define VT_PICKLE_ERROR (vt_pickle_error_quark ())
GQuark vt_pickle_error_quark (void);

typedef enum
{
  VT_PICKLE_ERROR_TRUNCATED,   /* the pickle ends before STOP, or an argument does */
  VT_PICKLE_ERROR_OPCODE,      /* an opcode this reader refuses */
  VT_PICKLE_ERROR_GLOBAL,      /* a global outside the allowlist */
  VT_PICKLE_ERROR_REDUCE,      /* a REDUCE or BUILD outside the allowlist */
  VT_PICKLE_ERROR_MALFORMED,   /* wrong operands: stack underflow, bad tensor arguments, … */
  VT_PICKLE_ERROR_LIMIT,       /* stack, memo or nesting beyond the bounds below */
} VtPickleError;

/* Far above what torch.save writes (a state dict nests 3 or 4 levels; a
 * SETITEMS batch holds 1000 items), far below what exhausts memory. */
#define VT_PICKLE_MAX_DEPTH  64
#define VT_PICKLE_MAX_STACK  (1u << 20)
#define VT_PICKLE_MAX_MEMO   (1u << 20)

typedef enum
{
  VT_PICKLE_NONE,
  VT_PICKLE_BOOL,
  VT_PICKLE_INT,
  VT_PICKLE_BIGINT,    /* beyond 64 bits: the little-endian two's complement bytes */
  VT_PICKLE_FLOAT,
  VT_PICKLE_STRING,    /* UTF-8 (as pickled; not validated) */
  VT_PICKLE_BYTES,
  VT_PICKLE_TUPLE,
  VT_PICKLE_LIST,
  VT_PICKLE_DICT,      /* items: key, value, key, value, … in insertion order */
  VT_PICKLE_GLOBAL,    /* an allowed global, as an operand of REDUCE or a persistent id */
  VT_PICKLE_STORAGE,   /* a persistent id ('storage', type, key, location, numel, …) */
  VT_PICKLE_TENSOR,
} VtPickleKind;

typedef struct _VtPickleValue VtPickleValue;

struct _VtPickleValue
{
  VtPickleKind   kind;
  guint          depth;      /* containers: 1 + the deepest item's depth */
  gboolean       boolean;
  gint64         integer;
  double         number;
  char          *string;     /* STRING, BYTES, BIGINT (bytes), GLOBAL ("module.name") */
  gsize          length;     /* of string, in bytes */
  GPtrArray     *items;      /* TUPLE, LIST, DICT: VtPickleValue*, not owned */
  /* STORAGE */
  char          *key;
  gboolean       dtype_known;  /* FALSE for storage types Vitrine has no dtype for */
  VtDType        dtype;
  gint64         numel;
  /* TENSOR */
  VtPickleValue *storage;
  gint64         offset;
  guint          ndim;
  gint64         shape[VT_TENSOR_MAX_DIMS];
  gint64         stride[VT_TENSOR_MAX_DIMS];
};

typedef struct _VtPickle VtPickle;

/* Reads one pickle from @data at @start, up to its STOP; @end (may be NULL)
 * receives the offset just after it. Messages start with "@filename: " and
 * give byte offsets into @data. */
VtPickle            *vt_pickle_load          (const guint8  *data,
                                              gsize          size,
                                              gsize          start,
                                              const char    *filename,
                                              gsize         *end,
                                              GError       **error);
void                 vt_pickle_free          (VtPickle      *self);

const VtPickleValue *vt_pickle_get_root      (VtPickle      *self);
/* Every STORAGE value the persistent ids made, in order (legacy files need
 * each storage's type to know how long its bytes are). */
GPtrArray           *vt_pickle_get_storages  (VtPickle      *self);

/* The value of the string @key in the DICT @dict, or NULL. */
const VtPickleValue *vt_pickle_dict_lookup   (const VtPickleValue *dict,
                                              const char          *key);
/* A short description for display: "91.78", "“cuda:0”", "a dict of 3 entries". */
char                *vt_pickle_value_describe (const VtPickleValue *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VtPickle, vt_pickle_free)

G_END_DECLS
