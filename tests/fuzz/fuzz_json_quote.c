/* fuzz_json_quote: azf_json_quote on any bytes: the sized length is the
 * written one, and what it writes is one JSON string (quotes, escapes)
 * whose text is valid UTF-8, whatever the input held. */
#include "fuzz_common.h"

/* Length of the UTF-8 sequence at s (strict: no overlong form, surrogate
 * or code point past U+10FFFF), 0 if none. */
static size_t seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t want = azf_json_quote(s, size, NULL);
    char *out = malloc(want + 1);
    if (out == NULL)
        return 0;
    memset(out, 0xA5, want + 1);
    size_t got = azf_json_quote(s, size, out);
    FUZZ_CHECK(got == want, "sized %zu, wrote %zu", want, got);
    FUZZ_CHECK((unsigned char)out[want] == 0xA5, "wrote past its length");
    FUZZ_CHECK(got >= 2 && out[0] == '"' && out[got - 1] == '"', "not a quoted string");
    const unsigned char *u = (const unsigned char *)out;
    for (size_t i = 1; i < got - 1;) {
        FUZZ_CHECK(u[i] >= 0x20, "control byte 0x%02x at %zu unescaped", u[i], i);
        if (u[i] == '"')
            FUZZ_CHECK(0, "bare quote at %zu", i);
        if (u[i] == '\\') {
            FUZZ_CHECK(i + 1 < got - 1, "escape cut at %zu", i);
            FUZZ_CHECK(strchr("\"\\/bfnrtu", u[i + 1]) != NULL, "bad escape \\%c", u[i + 1]);
            i += u[i + 1] == 'u' ? 6 : 2;
            FUZZ_CHECK(i <= got - 1, "\\u escape cut short");
            continue;
        }
        size_t n = seq(u + i, got - 1 - i);
        FUZZ_CHECK(n > 0, "invalid UTF-8 at %zu of the output", i);
        i += n;
    }
    free(out);
    return 0;
}
