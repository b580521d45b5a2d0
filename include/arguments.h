/* arguments.c: the (end, count) arguments of the window methods. */
#ifndef FASTPORTAL_ARGUMENTS_H
#define FASTPORTAL_ARGUMENTS_H

#include "fastportal.h"

int fp_check_window(Py_ssize_t end, Py_ssize_t count, Py_ssize_t size);
int fp_parse_end_and_count(PyObject *const *args, Py_ssize_t nargs, const char *name,
                           Py_ssize_t *end, Py_ssize_t *count);

#endif
