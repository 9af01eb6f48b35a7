/*
 * model_cache.c — decoded models kept across rows for the aggregates whose
 * transition functions take a model (bpnn_gradient, bpnn_train_epoch),
 * where fn_extra does not last: Citus's worker_partial_agg calls the
 * transition function through a new FmgrInfo on every row, so the
 * per-query cache of model.c (in fn_extra) would decode and validate the
 * model once per row there.
 *
 * A KeptModel holds the last few decoded models seen (KEPT_MODELS), each
 * in a memory context of its own under TopTransactionContext: they last
 * through the statement (and the transaction's next statements) and are
 * freed at the end of the transaction, when a reset callback forgets them.
 * A model is recognized by all its bytes, never by its checksum alone (a
 * user can make two models with one checksum).  Where fn_extra does last,
 * it holds what this call site verified last, so that a constant model is
 * compared once per query rather than once per row.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "utils/memutils.h"

#include "model.h"

/* in fn_extra: the datum this call site last found equal to a kept model */
typedef struct KeptMark
{
	KeptEntry  *entry;			/* NULL: none yet */
	uint64		generation;		/* the decode it was found equal to */
	bool		stable;			/* model_arg_stable: a Const or an external Param */
	const void *last_seen;		/* that datum (stable arguments) */
	bool		external;		/* or that TOAST pointer */
	Oid			toastrelid;
	Oid			valueid;
} KeptMark;

static uint64 kept_generations = 0;
static uint64 kept_uses = 0;

/* the reset callback of an entry's context: forget its model */
static void
kept_forget(void *arg)
{
	KeptEntry  *entry = (KeptEntry *) arg;

	entry->cxt = NULL;
	entry->generation = 0;
	memset(&entry->cm, 0, sizeof(entry->cm));
}

/* decode plain into a new context; the entry is replaced only on success */
static void
kept_decode(const char *name, KeptEntry *entry, struct varlena *plain)
{
	MemoryContext cxt = AllocSetContextCreate(TopTransactionContext, "bpnn kept model",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = CurrentMemoryContext;
	Size		len = VARSIZE_ANY_EXHDR(plain);
	BpnnModel  *model;
	char	   *bytes;
	MemoryContextCallback *forget;

	MemoryContextSetIdentifier(cxt, name);	/* a constant string */
	PG_TRY();
	{
		MemoryContextSwitchTo(cxt);
		model = model_decode(VARDATA_ANY(plain), len, ERRCODE_DATA_CORRUPTED);
		MemoryContextSwitchTo(old);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (entry->cxt != NULL)
		MemoryContextDelete(entry->cxt);	/* its callback forgets it */
	MemoryContextSwitchTo(cxt);
	entry->cm.model = model;
	entry->cm.row = palloc(sizeof(double) * model_n_features(model));
	nn_scoring_bind(&entry->cm.ws, &model->layout, model->weights,
					palloc(sizeof(float) * nn_scoring_floats(&model->layout)));
	bytes = palloc(len);
	memcpy(bytes, VARDATA_ANY(plain), len);
	entry->cm.bytes = bytes;
	entry->cm.len = len;
	entry->cm.checksum = model_stored_checksum(bytes, len);
	entry->cm.cxt = cxt;
	entry->cm.extra = NULL;
	entry->cm.class_texts = NULL;
	forget = palloc(sizeof(MemoryContextCallback));
	forget->func = kept_forget;
	forget->arg = entry;
	MemoryContextRegisterResetCallback(cxt, forget);
	MemoryContextSwitchTo(old);
	entry->cxt = cxt;
	entry->generation = ++kept_generations;
}

/* the entry holding these bytes, or a new decode in the least recently used */
static KeptEntry *
kept_find(KeptModel *kept, struct varlena *plain)
{
	Size		len = VARSIZE_ANY_EXHDR(plain);
	KeptEntry  *victim = NULL;
	int			i;

	for (i = 0; i < KEPT_MODELS; i++)
	{
		KeptEntry  *e = &kept->entries[i];

		if (e->cxt != NULL && e->cm.len == len &&
			memcmp(e->cm.bytes, VARDATA_ANY(plain), len) == 0)
			return e;
		/* an empty entry, else the least recently used */
		if (victim == NULL ||
			(victim->cxt != NULL && (e->cxt == NULL || e->last_used < victim->last_used)))
			victim = e;
	}
	kept_decode(kept->name, victim, plain);
	return victim;
}

/* the model in argument argno, kept for the transaction in kept */
CachedModel *
model_from_arg_kept(FunctionCallInfo fcinfo, int argno, KeptModel *kept)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	KeptMark   *mark = (KeptMark *) fcinfo->flinfo->fn_extra;
	bool		external = VARATT_IS_EXTERNAL_ONDISK(raw);
	struct varatt_external toast = {0};
	KeptEntry  *entry;

	if (external)
		VARATT_EXTERNAL_GET_POINTER(toast, raw);
	if (mark == NULL)
	{
		mark = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(KeptMark));
		mark->stable = model_arg_stable(fcinfo, argno);
		fcinfo->flinfo->fn_extra = mark;
	}

	/*
	 * The datum this call site verified last time, and its entry still
	 * holds that decode: a stored model by its TOAST pointer (it names one
	 * value), a constant by its address (only a value computed per row can
	 * be another one at the same address)
	 */
	entry = mark->entry;
	if (entry != NULL && entry->cxt != NULL && entry->generation == mark->generation &&
		(external ?
		 (mark->external && mark->toastrelid == toast.va_toastrelid &&
		  mark->valueid == toast.va_valueid) :
		 (mark->stable && !mark->external && mark->last_seen == (const void *) raw)))
	{
		entry->last_used = ++kept_uses;
		return &entry->cm;
	}

	entry = kept_find(kept, PG_DETOAST_DATUM(PG_GETARG_DATUM(argno)));
	entry->last_used = ++kept_uses;
	mark->entry = entry;
	mark->generation = entry->generation;
	mark->external = external;
	mark->toastrelid = toast.va_toastrelid;
	mark->valueid = toast.va_valueid;
	mark->last_seen = external ? NULL : (const void *) raw;
	return &entry->cm;
}
