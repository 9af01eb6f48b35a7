/*
 * labels.h — how a label becomes a class, the one rule every path follows
 * (bpnn_train in memory and streaming, bpnn_fit, bpnn_gradient, evaluation):
 *
 *   - a label's class is its text form, label::text;
 *   - classes are told apart by their bytes, whatever the label column's
 *     collation (as the C collation compares): under a case-insensitive
 *     collation 'A' and 'a' are two classes;
 *   - labels of a number type (labels_type_is_number) must be finite: NaN
 *     and infinities are an error (22003);
 *   - classes are ordered by value for number types (ties, such as 1.0 and
 *     1.00, by bytes), by bytes for every other type;
 *   - a regressor's label text (the aggregates) is read as float8, finite.
 */
#ifndef BPNN_LABELS_H
#define BPNN_LABELS_H

#include "fmgr.h"

/* a dictionary of names (classes, category values) to ids, by their bytes */
typedef struct HTAB LabelIds;
extern LabelIds *label_ids_create(long expected);	/* in the current context */
extern int32 label_ids_find(LabelIds *ids, const char *label);	/* -1: absent */
extern void label_ids_add(LabelIds *ids, const char *label, int32 id);	/* label is kept, not copied */
extern long label_ids_count(LabelIds *ids);

/*
 * A model's classes matched to label::text by its bytes, row after row
 * (bpnn_gradient, bpnn_train_epoch): compared with each name when there are
 * few, else looked up by hash.
 */
typedef struct ClassMatcher
{
	int			n;
	char	  **names;			/* the model's, not copied */
	int		   *len;			/* strlen of each */
	LabelIds   *ids;
} ClassMatcher;

/* in the current memory context */
extern void labels_matcher_init(ClassMatcher *cm, char **names, int n);
/* the class of a label, or an error (22023) naming it */
extern int32 labels_matcher_find(const ClassMatcher *cm, text *label);

/* do the classes of a label of this type sort as numbers? */
extern bool labels_type_is_number(Oid type);

/*
 * The text form of a label column in an internal query:
 * ((column)::pg_catalog.text COLLATE pg_catalog."C"), so that grouping
 * compares bytes as every other path does.
 */
extern char *labels_sql_text(const char *column);

/* label::text of values of one type, as the cast does (bpnn_fit's labels) */
typedef struct LabelCast
{
	Oid			type;
	int			method;			/* how the cast is done (labels.c) */
	int			nargs;			/* the cast function's */
	FmgrInfo	fn;				/* the cast or the output function */
} LabelCast;

extern void labels_cast_init(LabelCast *cast, Oid type, MemoryContext cxt);
extern char *labels_cast_text(LabelCast *cast, Datum value);	/* palloc'd */

/*
 * The classes of a training set as its labels arrive: each new label is
 * checked (finite numbers, length, count) and gets the next id; at the end
 * they are put in order.
 */
typedef struct LabelClasses LabelClasses;

/* column: the label column for messages, NULL for bpnn_fit's argument */
extern LabelClasses *labels_begin(bool numeric, const char *column);
/* the class id of a label (by bytes); a new label is copied into the set's context */
extern int32 labels_add(LabelClasses *lc, const char *text);
extern int	labels_count(const LabelClasses *lc);
extern const char *labels_name(const LabelClasses *lc, int32 id);

/*
 * The classes in order (a new palloc'd array of the set's names), and
 * new_id[id] = the position of class id in it (palloc'd, if new_id is not
 * NULL).
 */
extern char **labels_order(LabelClasses *lc, int32 **new_id);

/*
 * More classes than max_classes are an error before training starts (a
 * measured quantity, or an identifier, given as the label); column NULL for
 * bpnn_fit's label; the hint names task => 'regression' for a numeric column
 */
extern void labels_check_count(int n_classes, int max_classes, const char *column,
							   int64 rows, bool numeric);

/* sort names in place as classes are ordered */
extern void labels_sort(char **names, int n, bool numeric);

/*
 * The error of the C functions behind bpnn 0.2.0's aggregates whose label
 * was anyelement (its type read from the call expression): they stay only
 * for those declarations, until ALTER EXTENSION bpnn UPDATE replaces them
 */
/*
 * A regressor's label, given as label::text to an aggregate, as the
 * network's targets[outputs]: a number (one output) read as float8, or a
 * float8[] literal of one value per output (any number of outputs; no
 * NULL element); an error on text that is neither, 22023 on NaN and
 * infinities; each standardized with its output's target scaling, as
 * float4 (22003 beyond it)
 */
struct BpnnModel;
extern void labels_regression_targets(const struct BpnnModel *model, text *label,
									  float *targets, const char *function);

extern void labels_refuse_old_declaration(const char *aggregate) pg_attribute_noreturn();

#endif							/* BPNN_LABELS_H */
