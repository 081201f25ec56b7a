/* vitrine-store-item.h: a feature store of the workspace, as a list item:
 * its file, the store read from it (held here, so that no area reads the
 * file again), and a label that says what it holds ("resnet20 · cifar10-jpg ·
 * train — 50,000 × 64"). The Dataset area adds the stores it extracts; the
 * Incremental and Embedding areas pick from them. A store a reopened
 * workspace names but that cannot be read any more is an item too, marked
 * missing, with no store. */
#pragma once

#include <gio/gio.h>

#include "features/vt-feature-store.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_STORE_ITEM (vitrine_store_item_get_type ())
G_DECLARE_FINAL_TYPE (VitrineStoreItem, vitrine_store_item, VITRINE, STORE_ITEM, GObject)

/* Holds a reference to @store. */
VitrineStoreItem *vitrine_store_item_new       (const char       *path,
                                                VtFeatureStore   *store);
/* The same file extracted again: the item now holds @store. */
void              vitrine_store_item_set_store (VitrineStoreItem *self,
                                                VtFeatureStore   *store);
/* A store that is not there (or not readable: @reason, or NULL when the
 * file has gone). */
VitrineStoreItem *vitrine_store_item_new_missing (const char     *path,
                                                  const char     *reason);
const char       *vitrine_store_item_get_path  (VitrineStoreItem *self);
/* The display name: what the store holds, or for a missing one its file's
 * name and "missing". */
const char       *vitrine_store_item_get_label (VitrineStoreItem *self);
/* The store, or NULL for a missing one. */
VtFeatureStore   *vitrine_store_item_get_store (VitrineStoreItem *self);
gboolean          vitrine_store_item_is_missing (VitrineStoreItem *self);
/* Why a missing store cannot be read, or NULL. */
const char       *vitrine_store_item_get_reason (VitrineStoreItem *self);
/* The dataset's split the store holds ("train", "test"), or NULL. */
const char       *vitrine_store_item_get_split (VitrineStoreItem *self);
/* Whether @test holds the test split of the same dataset, through the same
 * checkpoint and transform, as @train holds the training split. */
gboolean          vitrine_store_item_is_test_of (VitrineStoreItem *test,
                                                 VitrineStoreItem *train);

/* The dataset @source says the store was extracted from, read again (its
 * split); NULL with @error when it cannot be read or no longer has the
 * samples it had. Reads a listing: call it off the main thread. */
VtDataset        *vitrine_store_open_dataset   (const VtFeatureSource *source,
                                                GCancellable          *cancellable,
                                                GError               **error);

/* The item of @stores (of VitrineStoreItem) for the file at @path, or -1. */
int               vitrine_store_list_find      (GListModel       *stores,
                                                const char       *path);
/* The item for @path in @stores: the one already there, or the store read
 * from @path and appended (replacing a missing item for it). Each store
 * file is read once and held once, whichever area adds it. *@position says
 * where the item is; the item is @stores' own. */
VitrineStoreItem *vitrine_store_list_add_file  (GListStore       *stores,
                                                const char       *path,
                                                guint            *position,
                                                GError          **error);

G_END_DECLS
