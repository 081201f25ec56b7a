/* vitrine-store-item.h: a feature store of this session, as a list item:
 * its file and a label that says what it holds ("resnet20 · cifar10-jpg · train —
 * 50,000 × 64"). The Dataset area adds the stores it extracts; the
 * Incremental area picks from them. */
#pragma once

#include <gio/gio.h>

#include "features/vt-feature-store.h"

G_BEGIN_DECLS

#define VITRINE_TYPE_STORE_ITEM (vitrine_store_item_get_type ())
G_DECLARE_FINAL_TYPE (VitrineStoreItem, vitrine_store_item, VITRINE, STORE_ITEM, GObject)

VitrineStoreItem *vitrine_store_item_new       (const char       *path,
                                                VtFeatureStore   *store);
const char       *vitrine_store_item_get_path  (VitrineStoreItem *self);
const char       *vitrine_store_item_get_label (VitrineStoreItem *self);
/* The dataset's split the store holds ("train", "test"), or NULL. */
const char       *vitrine_store_item_get_split (VitrineStoreItem *self);
/* Whether @test holds the test split of the same dataset, through the same
 * checkpoint and transform, as @train holds the training split. */
gboolean          vitrine_store_item_is_test_of (VitrineStoreItem *test,
                                                 VitrineStoreItem *train);

G_END_DECLS
