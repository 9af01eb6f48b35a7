/*
 * live_progress.c — live progress of trainings for other sessions: the
 * training backend publishes its phase, epoch, loss and pace in its own
 * progress slot of the backend status array (pgstat_progress_*, where
 * VACUUM and COPY publish theirs), and bpnn_progress() lists the slots of
 * the trainings the caller may see.  bpnn_importance publishes its scoring
 * passes the same way, as epochs without a loss.
 *
 * Why the progress slot.  It is in shared memory from startup, so nothing
 * needs shared_preload_libraries; it is the backend's own, so it goes when
 * the backend exits (however it exits), and PostgreSQL clears it when a
 * transaction or subtransaction aborts; its writes are seen whole by
 * readers (the changecount protocol of pg_stat_activity).  Everything a
 * training reports fits in its 20 int64 parameters, so no dynamic shared
 * memory segment is needed (Citus publishes a segment's handle through the
 * same slot because its reports do not fit); nothing to leak, nothing for a
 * reader to attach to after the owner is gone.
 *
 * The command id.  A progress slot carries a ProgressCommandType that
 * pg_stat_get_progress_info() matches by name (VACUUM, ANALYZE, ..., COPY).
 * Citus reuses VACUUM and accepts "unrelated (but hopefully harmless) rows
 * in pg_stat_progress_vacuum"; a monitoring tool would take a long training
 * for a long vacuum.  bpnn uses an id of its own instead, which no built-in
 * view matches (PostgreSQL only stores and compares the id), and checks a
 * magic number in parameter 0 too.  A backend that already reports a command
 * (COPY (SELECT bpnn_train(...)) TO ..., a training inside another one)
 * keeps it: the inner training publishes nothing.
 */
#include "postgres.h"

#include "catalog/pg_authid_d.h"
#include "catalog/pg_type_d.h"
#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/backend_progress.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "live_progress.h"

/* "bpnn" in ASCII: outside PostgreSQL's ProgressCommandType values */
#define BPNN_PROGRESS_COMMAND	((ProgressCommandType) 0x62706E6E)
#define BPNN_PROGRESS_MAGIC		INT64CONST(0x62706E6E4C495645)	/* "bpnnLIVE" */

/* the slot's parameters */
enum
{
	P_MAGIC,
	P_COMMAND,
	P_PHASE,
	P_LEADER_PID,
	P_FOLD,						/* 1-based, 0: none */
	P_FOLDS,
	P_EPOCH,					/* epochs done in the current training */
	P_EPOCHS,
	P_LOSS,						/* float8 bits; only when P_EPOCH > 0 */
	P_ROWS,						/* rows per epoch, -1 while reading */
	P_ROWS_PER_SECOND,			/* float8 bits; only when P_EPOCH > 0 */
	P_START,					/* TimestampTz */
	P_FINISH,					/* TimestampTz estimated, 0: not yet known */
	P_COUNT
};

StaticAssertDecl(P_COUNT <= PGSTAT_NUM_PROGRESS_PARAM, "too many progress parameters");

struct LiveProgress
{
	int			epochs;			/* of the current training */
	int			fold;			/* 0-based, -1: none */
	int			trainings_after;
	int64		rows;
	TimestampTz training_start; /* 0: no training yet */
	TimestampTz last_epoch_end;
	int			epochs_done;	/* in the current training */
	int64		earlier_epochs; /* in this process's earlier trainings */
	int64		earlier_usecs;	/* and the time they took */
};

PG_FUNCTION_INFO_V1(bpnn_live_progress);

/* a double's bits as int64, to store it in a progress slot */
static int64
double_bits(double v)
{
	int64		bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits;
}

/* a double from the bits double_bits stored */
static double
bits_double(int64 bits)
{
	double		v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

/* is this backend's slot still ours? (an aborted subtransaction clears it) */
static bool
live_owned(const LiveProgress *live)
{
	return live != NULL && MyBEEntry != NULL &&
		MyBEEntry->st_progress_command == BPNN_PROGRESS_COMMAND;
}

/* set n progress fields, if this backend's slot is ours */
static void
live_publish(const LiveProgress *live, int n, const int *index, const int64 *value)
{
	if (live_owned(live))
		pgstat_progress_update_multi_param(n, index, value);
}

/*
 * claim this backend's progress slot for a training (NULL if progress is not
 * tracked)
 */
LiveProgress *
live_progress_begin(LiveCommand command, Oid source, int folds, int leader_pid)
{
	LiveProgress *live;
	const int	index[] = {P_COMMAND, P_PHASE, P_LEADER_PID, P_FOLDS, P_ROWS, P_START, P_MAGIC};
	int64		value[lengthof(index)];

	if (!pgstat_track_activities || MyBEEntry == NULL ||
		MyBEEntry->st_progress_command != PROGRESS_COMMAND_INVALID)
		return NULL;
	live = palloc0(sizeof(LiveProgress));
	live->fold = -1;
	pgstat_progress_start_command(BPNN_PROGRESS_COMMAND, source);
	value[0] = command;
	value[1] = LIVE_READING;
	value[2] = leader_pid;
	value[3] = folds;
	value[4] = -1;
	value[5] = GetCurrentTimestamp();
	value[6] = BPNN_PROGRESS_MAGIC;
	live_publish(live, lengthof(index), index, value);
	return live;
}

/* publish the phase */
void
live_progress_phase(LiveProgress *live, LivePhase phase)
{
	const int	index[] = {P_PHASE};
	int64		value[] = {phase};

	live_publish(live, lengthof(index), index, value);
}

/* the fold being trained and how many trainings this process has after it */
void
live_progress_fold(LiveProgress *live, int fold, int trainings_after)
{
	if (live == NULL)
		return;
	live->fold = fold;
	live->trainings_after = trainings_after;
}

/* when the epochs left will be done, at the pace of this process's epochs so far */
static TimestampTz
live_finish(const LiveProgress *live, TimestampTz now)
{
	int64		epochs = live->earlier_epochs + live->epochs_done;
	int64		epochs_left;

	if (epochs == 0)
		return 0;
	epochs_left = Max(live->epochs - live->epochs_done, 0) +
		(int64) live->trainings_after * live->epochs;
	return now + (int64) ((double) (live->earlier_usecs + (live->last_epoch_end - live->training_start)) /
						  (double) epochs * (double) epochs_left);
}

/* publish the start of a training: its phase, fold, rows and epochs */
void
live_progress_training(LiveProgress *live, LivePhase phase, int64 rows, int epochs)
{
	const int	index[] = {P_PHASE, P_FOLD, P_EPOCH, P_EPOCHS, P_ROWS, P_FINISH};
	int64		value[lengthof(index)];

	if (live == NULL)
		return;
	/* the pace so far counts the epochs of earlier trainings, not what lay between */
	if (live->epochs_done > 0)
	{
		live->earlier_epochs += live->epochs_done;
		live->earlier_usecs += live->last_epoch_end - live->training_start;
	}
	live->epochs = epochs;
	live->rows = rows;
	live->epochs_done = 0;
	live->training_start = live->last_epoch_end = GetCurrentTimestamp();
	value[0] = phase;
	value[1] = live->fold + 1;
	value[2] = 0;
	value[3] = epochs;
	value[4] = rows;
	value[5] = live_finish(live, live->training_start);
	live_publish(live, lengthof(index), index, value);
}

/*
 * publish an epoch's end: its number, loss, rows per second and the expected
 * finish
 */
void
live_progress_epoch(LiveProgress *live, int epoch, double loss)
{
	const int	index[] = {P_EPOCH, P_LOSS, P_ROWS_PER_SECOND, P_FINISH};
	int64		value[lengthof(index)];
	TimestampTz now;
	int64		usecs;

	if (live == NULL || live->training_start == 0)
		return;
	now = GetCurrentTimestamp();
	live->epochs_done = epoch + 1;
	live->last_epoch_end = now;
	usecs = Max(now - live->training_start, 1);
	value[0] = live->epochs_done;
	value[1] = double_bits(loss);
	value[2] = double_bits((double) live->rows * live->epochs_done * 1e6 / (double) usecs);
	value[3] = live_finish(live, now);
	live_publish(live, lengthof(index), index, value);
}

/* release the progress slot */
void
live_progress_end(LiveProgress *live)
{
	if (live_owned(live))
		pgstat_progress_end_command();
}

/* microseconds as an interval Datum */
static Datum
usecs_interval(int64 usecs)
{
	Interval   *span = palloc0(sizeof(Interval));

	span->time = Max(usecs, 0);
	return IntervalPGetDatum(span);
}

static const char *const command_names[] = {NULL, "bpnn_train", "bpnn_cross_validate", "bpnn_fit",
	"bpnn_search", "bpnn_importance"};

StaticAssertDecl(lengthof(command_names) == LIVE_IMPORTANCE + 1, "a name for every command");
static const char *const phase_names[] = {NULL, "reading", "training", "streaming", "scoring"};

#define PROGRESS_COLUMNS 15

/*
 * bpnn_progress(): one row per process training now, of the roles whose
 * queries pg_stat_activity would show the caller (its own, those of roles
 * it is a member of, all with pg_read_all_stats).  Like pg_stat_activity,
 * one snapshot per transaction.
 */
Datum
bpnn_live_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n_backends;
	int			i;
	TimestampTz now = GetCurrentTimestamp();
	bool		read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);

	InitMaterializedSRF(fcinfo, 0);
	n_backends = pgstat_fetch_stat_numbackends();
	for (i = 1; i <= n_backends; i++)
	{
		LocalPgBackendStatus *local = pgstat_fetch_stat_local_beentry(i);
		PgBackendStatus *b;
		const int64 *p;
		Datum		values[PROGRESS_COLUMNS];
		bool		nulls[PROGRESS_COLUMNS];
		char	   *datname;

		if (local == NULL)
			continue;
		b = &local->backendStatus;
		p = b->st_progress_param;
		if (b->st_progress_command != BPNN_PROGRESS_COMMAND || p[P_MAGIC] != BPNN_PROGRESS_MAGIC ||
			p[P_COMMAND] < LIVE_TRAIN || p[P_COMMAND] > LIVE_IMPORTANCE ||
			p[P_PHASE] < LIVE_READING || p[P_PHASE] > LIVE_SCORING)
			continue;
		if (!read_all && !has_privs_of_role(GetUserId(), b->st_userid))
			continue;

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int32GetDatum(b->st_procpid);
		values[1] = Int32GetDatum((int32) p[P_LEADER_PID]);
		nulls[1] = p[P_LEADER_PID] == 0;
		datname = get_database_name(b->st_databaseid);
		if (datname)
			values[2] = DirectFunctionCall1(namein, CStringGetDatum(datname));
		nulls[2] = datname == NULL;
		values[3] = CStringGetTextDatum(command_names[p[P_COMMAND]]);
		values[4] = ObjectIdGetDatum(b->st_progress_command_target);
		nulls[4] = !OidIsValid(b->st_progress_command_target);
		values[5] = CStringGetTextDatum(phase_names[p[P_PHASE]]);
		values[6] = Int32GetDatum((int32) p[P_FOLD]);
		nulls[6] = p[P_FOLD] == 0;
		values[7] = Int32GetDatum((int32) p[P_FOLDS]);
		nulls[7] = p[P_FOLDS] == 0;
		values[8] = Int32GetDatum((int32) p[P_EPOCH]);
		values[9] = Int32GetDatum((int32) p[P_EPOCHS]);
		nulls[9] = p[P_EPOCHS] == 0;
		values[10] = Float8GetDatum(bits_double(p[P_LOSS]));
		/* bpnn_importance's passes score a trained model: no loss */
		nulls[10] = p[P_EPOCH] == 0 || p[P_COMMAND] == LIVE_IMPORTANCE;
		values[11] = Int64GetDatum(p[P_ROWS]);
		nulls[11] = p[P_ROWS] < 0;
		values[12] = Float8GetDatum(bits_double(p[P_ROWS_PER_SECOND]));
		nulls[12] = p[P_EPOCH] == 0;
		values[13] = usecs_interval(now - p[P_START]);
		values[14] = usecs_interval(p[P_FINISH] - now);
		nulls[14] = p[P_FINISH] == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
