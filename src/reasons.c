/* The reasons of reasons.h, interned once for every file. */
#include "reasons.h"

PyObject *fp_reasons[FP_REASON_COUNT];

int
fp_reasons_init(void)
{
#define FP_REASON_TEXT(name, text) text,
    static const char *const texts[FP_REASON_COUNT] = {FP_REASON_LIST(FP_REASON_TEXT)};
#undef FP_REASON_TEXT
    for (int i = 0; i < FP_REASON_COUNT; i++)
        if ((fp_reasons[i] = PyUnicode_InternFromString(texts[i])) == NULL)
            return -1;
    return 0;
}
