/* vt-buffer-pool.h: work buffers kept from one forward pass to the next.
 *
 * A buffer that is freed and allocated again for every pass comes back as
 * fresh pages, which the kernel faults in and zeroes on first touch: a
 * twentieth of ViT-S/16's time at batch 1. A pool hands out spares of the
 * size asked for; when a buffer of another size comes back (another batch
 * or input size), the spares of the old size go. Thread-safe: passes on
 * several threads each take their own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _VtBufferPool VtBufferPool;

VtBufferPool *vt_buffer_pool_new   (void);
void          vt_buffer_pool_free  (VtBufferPool *pool);
/* @n floats, uninitialized; give it back with vt_buffer_pool_give. */
float        *vt_buffer_pool_take  (VtBufferPool *pool,
                                    gsize         n);
void          vt_buffer_pool_give  (VtBufferPool *pool,
                                    float        *buffer,
                                    gsize         n);

G_END_DECLS
