/*
 * HINCRBYFLOAT arithmetic in the C `long double` that Redis uses.
 *
 * Redis parses with strtold, adds in long double (80-bit x87 extended precision on x86-64)
 * and prints with snprintf("%.17Lf"). Rust has no such type, and emulating glibc's
 * correctly rounded decimal conversion of an 80-bit float is a project of its own; calling
 * the same libc functions on the same hardware type gives the same bytes by construction.
 * The value never crosses into Rust: only text goes in and out.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's MAX_LONG_DOUBLE_CHARS: longer input is rejected, and every finite result fits. */
#define HC_MAX_LONG_DOUBLE_CHARS (5 * 1024)

/* Redis's string2ld: the whole text must parse, with no leading space, no NaN, and no
 * overflow to infinity or underflow to zero. Returns 1 on success. */
static int hc_string2ld(const char *s, size_t len, long double *out) {
    char buf[HC_MAX_LONG_DOUBLE_CHARS];
    char *end;
    long double v;

    if (len == 0 || len >= sizeof(buf)) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || (size_t)(end - buf) != len ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Status codes shared with src/command/hincrbyfloat.rs. */
#define HC_OK 0
#define HC_NOT_A_FLOAT 1
#define HC_NAN_OR_INFINITY 2

/* Checks an increment argument: HC_OK, HC_NOT_A_FLOAT or HC_NAN_OR_INFINITY. */
int hc_check_increment(const char *incr, size_t incr_len) {
    long double v;
    if (!hc_string2ld(incr, incr_len, &v)) return HC_NOT_A_FLOAT;
    if (isnan(v) || isinf(v)) return HC_NAN_OR_INFINITY;
    return HC_OK;
}

/* current (NULL for a missing field, which counts as 0) + incr, formatted like Redis's
 * ld2string in human mode into out (capacity out_cap). Returns HC_OK and sets *out_len,
 * HC_NOT_A_FLOAT when current is not a float, HC_NAN_OR_INFINITY when the sum is not finite.
 * The increment must have passed hc_check_increment. */
int hc_add(const char *current, size_t current_len, const char *incr, size_t incr_len, char *out,
           size_t out_cap, size_t *out_len) {
    long double value = 0, by = 0;
    int n;

    if (current != NULL && !hc_string2ld(current, current_len, &value)) return HC_NOT_A_FLOAT;
    if (!hc_string2ld(incr, incr_len, &by)) return HC_NOT_A_FLOAT;
    value += by;
    if (isnan(value) || isinf(value)) return HC_NAN_OR_INFINITY;

    /* Fixed point with 17 decimals, then trailing zeros and a trailing point removed. */
    n = snprintf(out, out_cap, "%.17Lf", value);
    if (n < 0 || (size_t)n + 1 > out_cap) return HC_NAN_OR_INFINITY;
    if (memchr(out, '.', (size_t)n) != NULL) {
        while (n > 0 && out[n - 1] == '0') n--;
        if (n > 0 && out[n - 1] == '.') n--;
    }
    if (n == 2 && out[0] == '-' && out[1] == '0') {
        out[0] = '0';
        n = 1;
    }
    *out_len = (size_t)n;
    return HC_OK;
}
