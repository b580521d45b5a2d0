/* spot.c: DataPortal's spot values, read from the tapes of one asset (tapes.c) and the
 * roll tables of continuous futures (rolls.c); what spot_type.c and current.c share.
 */
#ifndef FASTPORTAL_SPOT_H
#define FASTPORTAL_SPOT_H

#include "rolls.h"
#include "tapes.h"

enum field { F_OPEN, F_HIGH, F_LOW, F_CLOSE, F_VOLUME, F_PRICE, F_LAST_TRADED, F_CONTRACT,
             FIELDS };

typedef struct {
    PyObject_HEAD
    PyObject *minutes;       /* the trading calendar's Minutes: minute_to_session */
    PyObject *daily_tapes;   /* dict: asset -> SpotTape (None: upstream answers) */
    PyObject *minute_tapes;
    PyObject *served;        /* tuple of the asset types served, matched exactly */
    PyObject *equity;        /* the type get_adjusted_value adjusts */
    PyObject *utc_zones;     /* tuple of tzinfo objects that are UTC */
    PyObject *nat;           /* pandas.NaT */
    PyObject *session_box;   /* int64 ns -> a tz-naive Timestamp, as a session label */
    PyObject *minute_box;    /* epoch minute -> a Timestamp, as the minute reader makes it */
    PyObject *builder;       /* the PandasBuilder, or None: current's Series and frames */
    PyObject *continuous;    /* the continuous future type, matched exactly */
    PyObject *daily_rolls;   /* dict: continuous future -> RollTable (None: upstream answers) */
    PyObject *minute_rolls;
} SpotObject;

/* What a read found, before it becomes a Python object. */
enum kind { V_FLOAT, V_INT, V_SESSION, V_MINUTE, V_NAT, V_OBJECT };
typedef struct {
    int kind;
    double real;        /* V_FLOAT */
    uint32_t count;     /* V_INT */
    int64_t time;       /* V_SESSION: ns; V_MINUTE: epoch minute */
    PyObject *object;   /* V_OBJECT: a contract or None, borrowed from the call's table */
} SpotRead;

/* One call's inputs, checked. */
typedef struct {
    SpotTapeObject *tape;  /* held by the call: fp_spot_call_done() releases it */
    RollTableObject *roll; /* a continuous future's table, held likewise, or NULL */
    PyObject *contract;    /* the contract its table names now (borrowed from roll) */
    PyObject *tapes;       /* the Spot's tapes of the call's reader (borrowed) */
    int field;
    int minute_data;
    int64_t dt;          /* ns (UTC for a tz-aware minute) */
    int64_t session;     /* ns of minute_to_session(dt) */
    int64_t start, end;  /* the asset's start and end dates, ns */
    int64_t search_start;  /* where the minute reader's search starts: the start date of
                              the asset it reads (a continuous future's contract) */
    int trading;         /* dt is a trading minute of the calendar */
    int aware;           /* dt has a zone (UTC) */
} SpotCall;

extern Py_ssize_t fp_spot_served;  /* values answered, for fp_spot_values_served() */

int fp_spot_init_strings(void);
PyObject *fp_spot_values_served(PyObject *module, PyObject *reset);
/* Checks one call and finds its tape: 1, 0 with *why (a borrowed str), -1 on error. */
int fp_spot_call(SpotObject *self, PyObject *asset, PyObject *field, PyObject *dt,
                 PyObject *frequency, SpotCall *call, PyObject **why);
/* Reads the call's value: 1, 0 with *why, -1 on error. Runs no Python code of its own;
   a continuous future's read across a roll looks up another contract's tape, whose
   hash and equality are its asset type's (a served type's). Every object it reads
   after that is held by the call or used before anything else runs. */
int fp_spot_read(SpotCall *call, SpotRead *out, PyObject **why);

static inline void
fp_spot_call_done(SpotCall *call)
{
    Py_CLEAR(call->tape);
    Py_CLEAR(call->roll);
}

/* Spot's methods, for spot_type.c and methods.c */
PyObject *fp_spot_value_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_spot_can_trade_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_spot_adjusted_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *fp_spot_is_stale_of(SpotObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
