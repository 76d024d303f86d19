/*
 * Chunk ids of Stillpoint repositories (format version 3): one call per chunk, so Java makes a
 * single downcall instead of three and never needs sizeof(blake3_hasher). Built with BLAKE3's
 * upstream C implementation (Debian's librust-blake3-dev ships it) by build-blake3.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include "blake3.h"

/* out[0, 32) = BLAKE3(in[0, len)), in keyed_hash mode under the 32-byte key when key is not NULL. */
void stillpoint_blake3(const uint8_t *key, const uint8_t *in, size_t len, uint8_t *out) {
    blake3_hasher h;
    if (key != NULL) blake3_hasher_init_keyed(&h, key);
    else blake3_hasher_init(&h);
    blake3_hasher_update(&h, in, len);
    blake3_hasher_finalize(&h, out, BLAKE3_OUT_LEN);
}
