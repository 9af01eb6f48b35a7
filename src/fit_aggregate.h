/*
 * fit_aggregate.h — bpnn_fit's state: one group's rows, packed as they
 * arrive (fit_aggregate.c packs and trains them; fit_aggregate_state.c
 * checks states, makes room for rows, and combines, serializes and
 * deserializes partial states for parallel aggregation).
 */
#ifndef BPNN_FIT_AGGREGATE_H
#define BPNN_FIT_AGGREGATE_H

#include "fmgr.h"
#include "utils/jsonb.h"

#include "labels.h"
#include "train_setup.h"

#define GROUP_ROWS_MAGIC 0x42504752	/* "BPGR" */

typedef struct GroupRows
{
	uint32		magic;			/* GROUP_ROWS_MAGIC: made by fit_aggregate_new */
	Oid			label_type;		/* the overload's label type */
	Jsonb	   *options;		/* the options every row must give (a copy) */
	TrainArgs	args;			/* read from them */
	int			n_inputs;		/* -1 until a row has features */
	int64		n_rows;
	int64		capacity;
	float	   *x;				/* n_rows x n_inputs, NaN where a NULL awaits imputation */
	int32	   *y;				/* class ids, in order of first appearance */
	int64		rows_skipped;
	int64		values_imputed;
	LabelCast	label_cast;		/* label::text of the declared label type */
	LabelClasses *classes;		/* the labels seen, as labels.c makes them classes */
	bool		numeric_label;
	MemoryContext cxt;			/* where the state and its rows live */
	struct varlena *trained;	/* the final function's model: the rows are gone */
} GroupRows;

/*
 * bpnn_train's arguments from a JSON object of options named as its
 * arguments, from hidden to task (features and exclude excepted): the
 * others take their defaults; source and label_col are left unset
 */
extern void train_args_from_options(Jsonb *options, TrainArgs *args);

/* an empty state in cxt for a label type and options (checked as bpnn_train's arguments) */
extern GroupRows *fit_aggregate_new(MemoryContext cxt, Oid label_type, Jsonb *options);

/* the state in argument argno (NULL if SQL NULL), or an error if it is not one */
extern GroupRows *fit_aggregate_state_arg(FunctionCallInfo fcinfo, int argno);

/* the same, and an error if the final function has trained on it */
extern GroupRows *fit_aggregate_arg(FunctionCallInfo fcinfo, int argno);

/* is type the label type of one of bpnn_fit's overloads? */
extern bool fit_aggregate_label_type_known(Oid type);

/* room for more rows, within bpnn.memory_limit (an error beyond it) */
extern void fit_aggregate_reserve(GroupRows *g, int64 more);

/* an error unless options equal the state's (as jsonb) */
extern void fit_aggregate_same_options(const GroupRows *g, Jsonb *options);

#endif							/* BPNN_FIT_AGGREGATE_H */
