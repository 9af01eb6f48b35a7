/*
 * feature_choice.h — which columns of a table or view become features
 * (see feature_choice.c): the columns a caller names, or, by default,
 * every usable column but keys, free text and points in time, each column
 * left out with its reason.
 */
#ifndef BPNN_FEATURE_CHOICE_H
#define BPNN_FEATURE_CHOICE_H

#include "utils/array.h"
#include "utils/relcache.h"

#include "model.h"

typedef struct ChosenColumn
{
	char	   *name;
	BpnnColumnKind kind;
	bool		boolean;		/* a boolean read as a number, 0 or 1 */
} ChosenColumn;

typedef struct FeatureChoice
{
	ChosenColumn *cols;
	int			n_cols;
	int			n_skipped;		/* default choice: the columns left out */
	char	  **skipped_names;
	char	  **skipped_reasons;
} FeatureChoice;

/*
 * How a column of this type becomes inputs (a BpnnColumnKind), or -1 for a
 * type that cannot be a feature; *boolean says a boolean is read as 0 or 1
 */
extern int	feature_column_kind(Oid atttypid, bool *boolean);

/*
 * The attribute number of a column of rel, or an error naming it (with a
 * hint when the name was given in SQL quotes)
 */
extern AttrNumber feature_column_attnum(Relation rel, const char *name);

/*
 * The feature columns of rel besides label_column: those named in features,
 * or, when features is NULL, every usable column not named in exclude and
 * not a key, free text or a date/time (the reasons are in choice).  The
 * free-text rule reads the distinct values of text columns with one query
 * as the calling user.  Errors name a column that does not exist, a
 * duplicate, an unusable type, or a choice with no column left.
 */
extern void feature_choose(Relation rel, const char *label_column, ArrayType *features,
						   ArrayType *exclude, FeatureChoice *choice);

/* the NOTICE of a default choice that left columns out (none if it left none) */
extern void feature_choice_report(const FeatureChoice *choice, const char *source);

#endif							/* BPNN_FEATURE_CHOICE_H */
