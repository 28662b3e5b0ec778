/* fk_noise_ref.c — scalar references for fk_noise.c, one element at a time, written from the
 * definition in flowkernels.h (Philox4x32-10 as in Random123, Box–Muller in double). */
#include "../fk_internal.h"

/* Philox4x32-10: 10 rounds of the Philox S-box, the key bumped by the Weyl constants between
 * rounds. Round: (c0, c1, c2, c3) -> (hi(M1·c2) ^ c1 ^ k0, lo(M1·c2), hi(M0·c0) ^ c3 ^ k1, lo(M0·c0)). */
static void ref_philox(const uint32_t in[4], uint64_t seed, uint32_t out[4]) {
    uint32_t c[4] = {in[0], in[1], in[2], in[3]};
    uint32_t k0 = (uint32_t)(seed & 0xffffffffu), k1 = (uint32_t)(seed >> 32);
    for (int r = 0; r < 10; r++) {
        if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
        uint64_t a = (uint64_t)0xD2511F53u * (uint64_t)c[0];
        uint64_t b = (uint64_t)0xCD9E8D57u * (uint64_t)c[2];
        uint32_t next[4] = {(uint32_t)(b >> 32) ^ c[1] ^ k0, (uint32_t)(b & 0xffffffffu),
                            (uint32_t)(a >> 32) ^ c[3] ^ k1, (uint32_t)(a & 0xffffffffu)};
        for (int i = 0; i < 4; i++) c[i] = next[i];
    }
    for (int i = 0; i < 4; i++) out[i] = c[i];
}

/* The four Philox words of the block holding element (row, col). */
static void ref_words(uint64_t seed, uint32_t stream, uint64_t row, uint64_t col, uint32_t w[4]) {
    uint32_t counter[4] = {(uint32_t)(col / 4), stream, (uint32_t)(row & 0xffffffffu),
                           (uint32_t)(row >> 32)};
    ref_philox(counter, seed, w);
}

fk_status fk_ref_randn(uint64_t seed, uint32_t stream, int64_t row0, int64_t col0, int64_t rows,
                       int64_t cols, float *out, int64_t ldo) {
    fk_status s = fk_check_noise(row0, col0, rows, cols, out, ldo);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            uint64_t col = (uint64_t)(col0 + j);
            uint32_t w[4];
            ref_words(seed, stream, (uint64_t)(row0 + i), col, w);
            int lane = (int)(col % 4);
            int first = lane < 2 ? 0 : 2; /* the word pair this lane comes from */
            double u1 = ((double)w[first] + 0.5) * 0x1.0p-32;
            double u2 = (double)w[first + 1] * 0x1.0p-32;
            double r = sqrt(-2.0 * log(u1)), theta = 6.28318530717958647692 * u2;
            double z = (lane % 2 == 0) ? r * cos(theta) : r * sin(theta);
            out[i * ldo + j] = (float)z;
        }
    return FK_OK;
}

fk_status fk_ref_randu(uint64_t seed, uint32_t stream, int64_t row0, int64_t col0, int64_t rows,
                       int64_t cols, float *out, int64_t ldo) {
    fk_status s = fk_check_noise(row0, col0, rows, cols, out, ldo);
    if (s != FK_OK) return s;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            uint64_t col = (uint64_t)(col0 + j);
            uint32_t w[4];
            ref_words(seed, stream, (uint64_t)(row0 + i), col, w);
            out[i * ldo + j] = (float)((double)(w[col % 4] >> 8) / 16777216.0);
        }
    return FK_OK;
}
