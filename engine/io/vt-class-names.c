/* vt-class-names.c: the published class lists, as the datasets' own meta
 * files give them, in label order. */
#include "vt-class-names.h"
#include "vt-file.h"

static const char *cifar10[] = {
  "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck", NULL
};

static const char *cifar100[] = {
  "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
  "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
  "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
  "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
  "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
  "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
  "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
  "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
  "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
  "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm", NULL
};

static const char *cifar100_coarse[] = {
  "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables",
  "household_electrical_devices", "household_furniture", "insects", "large_carnivores",
  "large_man-made_outdoor_things", "large_natural_outdoor_scenes", "large_omnivores_and_herbivores",
  "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals", "trees",
  "vehicles_1", "vehicles_2", NULL
};

static const char *fashion_mnist[] = {
  "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot", NULL
};

char **
vt_class_names_published (VtClassNames which)
{
  static const char **lists[] = { cifar10, cifar100, cifar100_coarse, fashion_mnist };

  g_return_val_if_fail (which < G_N_ELEMENTS (lists), NULL);
  return g_strdupv ((char **) lists[which]);
}

char **
vt_class_names_read_file (const char *path,
                          guint       n)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!vt_file_get_contents (path, VT_FILE_MAX_TEXT_SIZE, &contents, NULL, NULL))
    return NULL;
  /* Trailing blank lines (batches.meta.txt has two) are not names. */
  g_strchomp (contents);
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_strstrip (lines[i]);
  return g_strv_length (lines) == n ? g_steal_pointer (&lines) : NULL;
}
