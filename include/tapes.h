/* tapes.c: SpotTape, one asset's bars in one bcolz reader, as get_value reads them. */
#ifndef FASTPORTAL_TAPES_H
#define FASTPORTAL_TAPES_H

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
    Py_ssize_t prior;         /* minute: the last reader row before first that traded, -1 */
    uint32_t prior_close;     /* its raw close */
    PyObject *asset_type;     /* the type of the assets it is the tape of */
    PyObject *known;          /* minute: the reader's _known_zero_volume_dict, or None */
    PyObject *sid;            /* the key of the asset in it */
} SpotTapeObject;

extern PyTypeObject fp_SpotTape_Type;

static inline const uint32_t *
fp_tape_bars(SpotTapeObject *tape, int bar)
{
    return (const uint32_t *)PyArray_GETPTR2(tape->bars, bar, 0);
}

#endif
