/* ratios.c: AdjustmentTimeline, the ratio before_trading_start scales a window by. */
#ifndef FASTPORTAL_RATIOS_H
#define FASTPORTAL_RATIOS_H

#include "fastportal.h"

extern PyTypeObject fp_AdjustmentTimeline_Type;

int fp_adjustment_ratio(PyObject *timeline, int volume, int64_t dt, int64_t now,
                        double *ratio);
int fp_adjustment_refused(PyObject *timeline, int volume, int mixed_zones);
int fp_adjustment_compares_as_given(PyObject *timeline);

#endif
