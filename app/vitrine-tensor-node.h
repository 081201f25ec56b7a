/* vitrine-tensor-node.h: one row of the tensor tree, a module (group) or a
 * tensor (leaf). Groups sum their tensors' elements and bytes. */
#pragma once

#include <gio/gio.h>

#include "models/vt-inspection.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_TENSOR_NODE (vitrine_tensor_node_get_type ())
G_DECLARE_FINAL_TYPE (VitrineTensorNode, vitrine_tensor_node, VITRINE, TENSOR_NODE, GObject)

/* The top-level nodes of @inspection's tensors, grouped by their dotted
 * module paths (without the architecture's "module." prefix). */
GListStore   *vitrine_tensor_node_build_tree      (VtInspection       *inspection);

const char   *vitrine_tensor_node_get_name        (VitrineTensorNode  *self);
const char   *vitrine_tensor_node_get_path        (VitrineTensorNode  *self);
/* The tensor's index in the checkpoint; -1 for a group. */
int           vitrine_tensor_node_get_index       (VitrineTensorNode  *self);
guint64       vitrine_tensor_node_get_elements    (VitrineTensorNode  *self);
guint64       vitrine_tensor_node_get_bytes       (VitrineTensorNode  *self);
const char   *vitrine_tensor_node_get_dtype       (VitrineTensorNode  *self);
const char   *vitrine_tensor_node_get_shape       (VitrineTensorNode  *self);
/* Children of a group, NULL for a tensor. */
GListModel   *vitrine_tensor_node_get_children    (VitrineTensorNode  *self);
/* Whether this node's path, or a descendant's, contains @needle
 * (case-insensitive; @needle already folded). */
gboolean      vitrine_tensor_node_matches         (VitrineTensorNode  *self,
                                                   const char         *needle);

G_END_DECLS
