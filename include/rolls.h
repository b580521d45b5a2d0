/* rolls.c: RollTable, the contract a continuous future's roll finder names, per stretch
 * of time.
 */
#ifndef FASTPORTAL_ROLLS_H
#define FASTPORTAL_ROLLS_H

#include "fastportal.h"

typedef struct {
    PyObject_HEAD
    PyArrayObject *starts;   /* int64 ns, increasing: where each stretch begins */
    PyObject *contracts;     /* tuple: each stretch's contract (a Future, None or False) */
    int64_t end;             /* the last key the table covers */
} RollTableObject;

extern PyTypeObject fp_RollTable_Type;

/* The contract of the stretch holding key (borrowed; *stretch its index if not
   NULL), or NULL (no error set) outside the table. */
PyObject *fp_roll_contract(RollTableObject *table, int64_t key, Py_ssize_t *stretch);

#endif
