/*
 * search.c — bpnn_search(): which training settings are best for a data
 * set.  A grid of options (a JSON object of arrays, named as bpnn_train's
 * arguments) gives settings, all of them or a seeded random sample of
 * them; each setting is cross-validated on the same stratified folds of
 * one scan of the source (parallel_cv.c runs the folds), and the settings
 * come back best first, optionally with the best one trained on every
 * row.  A setting whose training fails (it diverges, say) is reported with
 * its error, last, and the search goes on (search_run_setting).
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "bpnn.h"
#include "fit_aggregate.h"
#include "parallel.h"
#include "train_memory.h"

PG_FUNCTION_INFO_V1(bpnn_search);

/* the most settings one search cross-validates */
#define SEARCH_MAX_SETTINGS 10000

/* one grid dimension: an option and the values it takes */
typedef struct GridKey
{
	char	   *name;
	int			n_values;
	JsonbValue *values;			/* each a scalar or a jbvBinary container */
} GridKey;

/* one setting and its cross-validated figures */
typedef struct Setting
{
	int			index;			/* in the grid's order: the tie-break */
	int64		grid_index;		/* which setting of the grid's product */
	double		score;			/* mean accuracy, or mean RMSE */
	double		score_stddev;
	double		r2;				/* regression: mean R², NaN if undefined */
	double		loss;
	double		seconds;
	bool		regression;
	char	   *error;			/* why its training failed, or NULL */
} Setting;

/*
 * Options that change which rows and columns are read cannot vary: every
 * setting is scored on the same scan and the same folds
 */
static bool
search_fixed_option(const char *name)
{
	return strcmp(name, "missing") == 0 || strcmp(name, "max_classes") == 0 ||
		strcmp(name, "task") == 0;
}

/* an option bpnn_search's grid or options may name: bpnn_train's from hidden to task */
static bool
search_known_option(const char *name)
{
	int			a;

	for (a = TRAIN_ARG_HIDDEN; a < TRAIN_ARG_COUNT; a++)
		if (a != TRAIN_ARG_EXCLUDE && strcmp(name, train_arg_names[a]) == 0)
			return true;
	return false;
}

/* the error for an option bpnn_search does not take */
static void
search_check_option(const char *name, bool in_grid)
{
	if (!search_known_option(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown bpnn_search option \"%s\"", name),
				 errhint("The options are bpnn_train's arguments from hidden to task, except exclude; features and exclude are bpnn_search's own arguments.")));
	if (in_grid && search_fixed_option(name))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" cannot be searched", name),
				 errdetail("It changes which rows or columns are read, and every setting is scored on the same rows."),
				 errhint("Give it in options instead.")));
}

/* the grid's dimensions, checked; *n_settings gets the size of their product */
static GridKey *
read_grid(Jsonb *grid, int *n_keys, int64 *n_settings)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	GridKey    *keys;
	int			n = 0;
	int64		product = 1;

	if (!JB_ROOT_IS_OBJECT(grid) || JB_ROOT_COUNT(grid) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the grid of bpnn_search must be a non-empty JSON object"),
				 errhint("For example: '{\"hidden\": [[16], [64]], \"learning_rate\": [0.05, 0.2]}'.")));
	keys = palloc0(sizeof(GridKey) * JB_ROOT_COUNT(grid));
	it = JsonbIteratorInit(&grid->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		GridKey    *k;
		JsonbValue *values;
		JsonbIterator *vit;
		JsonbValue	e;
		int			i = 0;

		if (tok != WJB_KEY)
			continue;
		k = &keys[n++];
		k->name = pnstrdup(v.val.string.val, v.val.string.len);
		search_check_option(k->name, true);
		values = getKeyJsonValueFromContainer(&grid->root, k->name, strlen(k->name), NULL);
		if (values->type != jbvBinary || !JsonContainerIsArray(values->val.binary.data) ||
			JsonContainerSize(values->val.binary.data) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("grid option \"%s\" must be a non-empty JSON array of values", k->name),
					 errhint("For example: '{\"%s\": [...]}', each element a value of bpnn_train's argument.",
							 k->name)));
		k->n_values = JsonContainerSize(values->val.binary.data);
		k->values = palloc(sizeof(JsonbValue) * k->n_values);
		vit = JsonbIteratorInit(values->val.binary.data);
		while ((tok = JsonbIteratorNext(&vit, &e, true)) != WJB_DONE)
			if (tok == WJB_ELEM)
				k->values[i++] = e;
		product *= k->n_values;
		if (product > SEARCH_MAX_SETTINGS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the grid of bpnn_search has more than %d settings", SEARCH_MAX_SETTINGS),
					 errhint("Use fewer values, or trials to sample some of them.")));
	}
	*n_keys = n;
	*n_settings = product;
	return keys;
}

/* setting number s of the grid's product (the last key varies fastest), as a JSON object */
static Jsonb *
grid_setting(const GridKey *keys, int n_keys, int64 s)
{
	JsonbParseState *state = NULL;
	JsonbValue *result;
	int64		rest = s;
	int		   *pick = palloc(sizeof(int) * n_keys);
	int			k;

	for (k = n_keys - 1; k >= 0; k--)
	{
		pick[k] = (int) (rest % keys[k].n_values);
		rest /= keys[k].n_values;
	}
	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (k = 0; k < n_keys; k++)
	{
		JsonbValue	key;

		key.type = jbvString;
		key.val.string.val = keys[k].name;
		key.val.string.len = strlen(keys[k].name);
		pushJsonbValue(&state, WJB_KEY, &key);
		pushJsonbValue(&state, WJB_VALUE, &keys[k].values[pick[k]]);
	}
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	pfree(pick);
	return JsonbValueToJsonb(result);
}

/*
 * Which settings of the product to run: all of them in order, or, with
 * trials, that many distinct ones drawn with the seed (in the order drawn)
 */
static int64 *
choose_settings(int64 n_settings, int trials, uint64 seed, int *n_chosen)
{
	int64	   *order = palloc(sizeof(int64) * n_settings);
	int64		i;

	for (i = 0; i < n_settings; i++)
		order[i] = i;
	if (trials > 0 && trials < n_settings)
	{
		NnRng		rng = {0};

		nn_rng_seed_hashed(&rng, seed ^ UINT64CONST(0x5EA5C4));
		nn_rng_shuffle(order, n_settings, &rng);
		*n_chosen = trials;
	}
	else
		*n_chosen = (int) n_settings;
	return order;
}

/* the fold results of one setting summed up; accuracy (or RMSE) stddev over folds, ddof 0 */
static void
summarize(Setting *s, const CvFoldResult *r, int folds)
{
	double		sum = 0.0,
				sq = 0.0,
				loss = 0.0,
				seconds = 0.0,
				r2 = 0.0;
	int			k;

	s->regression = r[0].regression;
	for (k = 0; k < folds; k++)
	{
		double		x = s->regression ? r[k].rmse : r[k].accuracy;

		sum += x;
		loss += r[k].loss;
		seconds += r[k].seconds;
		r2 += r[k].r2;			/* NaN if any fold's labels were constant */
	}
	s->score = sum / folds;
	for (k = 0; k < folds; k++)
	{
		double		d = (s->regression ? r[k].rmse : r[k].accuracy) - s->score;

		sq += d * d;
	}
	s->score_stddev = sqrt(sq / folds);
	s->loss = loss / folds;
	s->seconds = seconds;
	s->r2 = r2 / folds;
}

/* best first: higher accuracy (lower RMSE), then lower loss, then the grid's order */
static int
compare_settings(const void *a, const void *b)
{
	const Setting *x = a;
	const Setting *y = b;
	double		sx = x->regression ? -x->score : x->score;
	double		sy = y->regression ? -y->score : y->score;

	/* a failed setting last, then NaN (outputs not finite): never the one refit */
	if ((x->error != NULL) != (y->error != NULL))
		return x->error != NULL ? 1 : -1;
	if (isnan(sx) != isnan(sy))
		return isnan(sx) ? 1 : -1;
	if (sx != sy && !isnan(sx))
		return sx > sy ? -1 : 1;
	if (isnan(x->loss) != isnan(y->loss))
		return isnan(x->loss) ? 1 : -1;
	if (x->loss != y->loss && !isnan(x->loss))
		return x->loss < y->loss ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* the training arguments of one setting: options, then the setting's values over them */
static void
setting_args(Jsonb *options, Jsonb *chosen, Oid source, char *label_column,
			 ArrayType *features, ArrayType *exclude, TrainArgs *args)
{
	Jsonb	   *merged = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
															JsonbPGetDatum(options),
															JsonbPGetDatum(chosen)));

	train_args_from_options(merged, args);
	args->source = source;
	args->label_column = label_column;
	args->features = features;
	args->exclude = exclude;
}

/*
 * An error that belongs to one setting's training: a data exception (class
 * 22: it diverged, a label too large to standardize, ...) or a program
 * limit (54000).  Anything else (a cancel, out of memory, a lost worker)
 * ends the search.
 */
static bool
search_setting_error(int sqlerrcode)
{
	return ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

/*
 * The folds of one setting in a subtransaction, as a PL/pgSQL block with
 * an exception clause: a failure of the setting's own training is rolled
 * back (with any parallel context of its folds: AbortSubTransaction ends
 * parallel mode) and returned as its message, in result_cxt; anything else
 * is rethrown.  The caller resets the context that holds set->x.
 */
static char *
search_run_setting(const TrainArgs *args, TrainingSet *set, const int *fold_of, int folds,
				   CvFoldResult *results, MemoryContext result_cxt)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *volatile error = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		parallel_cv_run_folds(args, set, fold_of, folds, results);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(result_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (!search_setting_error(edata->sqlerrcode))
			ReThrowError(edata);
		error = edata->message;
	}
	PG_END_TRY();
	return error;
}

/*
 * bpnn_search(source, label_col, grid, folds, options, features, exclude,
 * trials, refit): one row per setting, best first
 */
Datum
bpnn_search(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			source;
	char	   *label_column;
	Jsonb	   *grid,
			   *options;
	ArrayType  *features,
			   *exclude;
	int			folds,
				trials,
				n_keys,
				n_chosen,
				i;
	bool		refit;
	int64		n_settings;
	int64	   *order;
	GridKey    *keys;
	Setting    *settings;
	TrainArgs	base;
	MemoryContext search_cxt,
				setting_cxt,
				old;
	TrainingSet *set;
	int		   *fold_of;
	float	   *x_master;
	Size		x_bytes;
	CvFoldResult *results;
	struct varlena *model = NULL;

	for (i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL",
							(const char *[]) {"source", "label_col", "grid", "folds", "options"}[i])));
	if (PG_ARGISNULL(8))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("refit must not be NULL")));
	source = PG_GETARG_OID(0);
	label_column = text_to_cstring(PG_GETARG_TEXT_PP(1));
	grid = PG_GETARG_JSONB_P(2);
	folds = PG_GETARG_INT32(3);
	options = PG_GETARG_JSONB_P(4);
	features = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
	exclude = PG_ARGISNULL(6) ? NULL : PG_GETARG_ARRAYTYPE_P(6);
	trials = PG_ARGISNULL(7) ? 0 : PG_GETARG_INT32(7);
	refit = PG_GETARG_BOOL(8);

	if (folds < 2 || folds > CV_MAX_FOLDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("folds must be between 2 and %d", CV_MAX_FOLDS)));
	if (!PG_ARGISNULL(7) && (trials < 1 || trials > SEARCH_MAX_SETTINGS))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trials must be between 1 and %d, or NULL for every setting of the grid",
						SEARCH_MAX_SETTINGS)));
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the options of bpnn_search must be a JSON object"),
				 errhint("For example: '{\"epochs\": 100, \"optimizer\": \"adam\"}'.")));
	{
		JsonbIterator *it = JsonbIteratorInit(&options->root);
		JsonbValue	v;
		JsonbIteratorToken tok;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
			if (tok == WJB_KEY)
				search_check_option(pnstrdup(v.val.string.val, v.val.string.len), false);
	}
	keys = read_grid(grid, &n_keys, &n_settings);

	InitMaterializedSRF(fcinfo, 0);
	search_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn search",
									   ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(search_cxt);

	/* every setting is checked before anything is read or trained */
	setting_args(options, DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"))),
				 source, label_column, features, exclude, &base);
	order = choose_settings(n_settings, trials, base.fit.seed, &n_chosen);
	settings = palloc0(sizeof(Setting) * n_chosen);

	/*
	 * A setting's values and arguments are made again where they are used,
	 * in a context reset after each setting: memory does not grow with the
	 * number of settings times the size of options or of the grid's values
	 */
	setting_cxt = AllocSetContextCreate(search_cxt, "bpnn search setting",
										ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < n_chosen; i++)
	{
		TrainArgs	args;

		CHECK_FOR_INTERRUPTS();
		settings[i].index = i;
		settings[i].grid_index = order[i];
		MemoryContextSwitchTo(setting_cxt);
		setting_args(options, grid_setting(keys, n_keys, order[i]), source, label_column,
					 features, exclude, &args);
		MemoryContextSwitchTo(search_cxt);
		MemoryContextReset(setting_cxt);
	}

	base.live = live_progress_begin(LIVE_SEARCH, source, folds, 0);
	set = scan_training_set(source, label_column, train_scan_spec(&base));
	fold_of = cv_assign_folds(set, folds, base.fit.seed);
	cv_check_fold_sizes(fold_of, set->n_rows, folds);

	/* parallel_cv_run_folds may move the rows into shared memory: each setting gets a copy */
	x_bytes = sizeof(float) * (Size) set->n_inputs * set->n_rows;
	x_master = set->x;
	results = palloc(sizeof(CvFoldResult) * folds);
	for (i = 0; i < n_chosen; i++)
	{
		TrainArgs	args;

		CHECK_FOR_INTERRUPTS();
		MemoryContextSwitchTo(setting_cxt);
		setting_args(options, grid_setting(keys, n_keys, settings[i].grid_index), source,
					 label_column, features, exclude, &args);
		args.live = base.live;
		set->x = MemoryContextAllocHuge(setting_cxt, x_bytes);
		memcpy(set->x, x_master, x_bytes);
		settings[i].error = search_run_setting(&args, set, fold_of, folds, results, search_cxt);
		set->x = NULL;			/* the copy, or shared memory: gone either way */
		MemoryContextSwitchTo(search_cxt);
		MemoryContextReset(setting_cxt);
		if (settings[i].error == NULL)
			summarize(&settings[i], results, folds);
		else
			settings[i].regression = set->regression;
	}
	qsort(settings, n_chosen, sizeof(Setting), compare_settings);

	if (refit && settings[0].error == NULL)
	{
		TrainArgs	args;
		BpnnModel  *trained;
		MemoryContext refit_cxt = AllocSetContextCreate(CurrentMemoryContext, "bpnn refit",
														ALLOCSET_DEFAULT_SIZES);
		instr_time	start;

		INSTR_TIME_SET_CURRENT(start);
		setting_args(options, grid_setting(keys, n_keys, settings[0].grid_index), source,
					 label_column, features, exclude, &args);
		args.live = base.live;
		args.parallel = bpnn_parallel_training;
		set->x = x_master;		/* trained on in place: the last use of the rows */
		MemoryContextSwitchTo(refit_cxt);
		trained = train_model(&args, set, NULL, set->n_rows);
		model = train_finish(trained, start, refit_cxt, search_cxt);
	}
	live_progress_end(base.live);
	MemoryContextSwitchTo(old);

	for (i = 0; i < n_chosen; i++)
	{
		Setting    *s = &settings[i];
		Datum		values[11];
		bool		nulls[11] = {0};

		/* the tuplestore copies the row: the setting's values go after it */
		MemoryContextSwitchTo(setting_cxt);
		values[0] = Int32GetDatum(i + 1);
		values[1] = JsonbPGetDatum(grid_setting(keys, n_keys, s->grid_index));
		values[2] = Float8GetDatum(s->score);
		values[3] = Float8GetDatum(s->score_stddev);
		values[4] = Float8GetDatum(s->score);
		values[5] = Float8GetDatum(s->score_stddev);
		values[6] = Float8GetDatum(s->r2);
		values[7] = Float8GetDatum(s->loss);
		values[8] = Float8GetDatum(s->seconds);
		values[9] = PointerGetDatum(model);
		values[10] = s->error ? CStringGetTextDatum(s->error) : (Datum) 0;
		/* accuracy is a classifier's; rmse and r2 a regressor's */
		nulls[2] = nulls[3] = s->regression;
		nulls[4] = nulls[5] = !s->regression;
		nulls[6] = !s->regression || isnan(s->r2);
		nulls[9] = i > 0 || model == NULL;
		nulls[10] = s->error == NULL;
		/* a failed setting has no figures */
		if (s->error != NULL)
			nulls[2] = nulls[3] = nulls[4] = nulls[5] = nulls[6] = nulls[7] = nulls[8] = true;
		MemoryContextSwitchTo(old);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextReset(setting_cxt);
	}
	MemoryContextDelete(search_cxt);
	return (Datum) 0;
}
