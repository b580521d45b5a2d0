/* stamps.c: fresh copies of the session labels the core keeps. */
#ifndef FASTPORTAL_STAMPS_H
#define FASTPORTAL_STAMPS_H

#include "fastportal.h"

int fp_stamps_init_strings(void);
PyObject *fp_timestamp_copy(PyObject *stamp);

#endif
