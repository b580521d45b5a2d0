/* What spot.c and tapes.c share: one asset's bars in one reader. */
#ifndef FASTPORTAL_SPOT_H
#define FASTPORTAL_SPOT_H

#include "fastportal.h"

enum bar { BAR_OPEN, BAR_HIGH, BAR_LOW, BAR_CLOSE, BAR_VOLUME, BARS };

typedef struct {
    PyObject_HEAD
    PyArrayObject *bars;      /* uint32 (BARS, rows), the core's own copy */
    Py_ssize_t *traded;       /* per row: the last counted row at or before it that traded */
    Py_ssize_t rows;
    Py_ssize_t first;         /* daily: the reader's session position of row 0;
                                 minute: the reader row of row 0 */
    Py_ssize_t length;        /* minute: the asset's rows in the reader (beyond: no bar) */
    double scale;             /* what the reader multiplies a nonzero price by */
    PyObject *timeline;       /* an equity's AdjustmentTimeline, or None */
    PyArrayObject *sessions;  /* daily: the reader's sessions, int64 ns (else NULL) */
    PyArrayObject *opens;     /* minute: the reader's market opens, epoch minutes */
    PyArrayObject *closes;    /* minute: its market closes */
    long per_day;             /* minute: the reader's minutes per day */
} SpotTapeObject;

extern PyTypeObject SpotTape_Type;

static inline const uint32_t *
tape_bars(SpotTapeObject *tape, int bar)
{
    return (const uint32_t *)PyArray_GETPTR2(tape->bars, bar, 0);
}

#endif
