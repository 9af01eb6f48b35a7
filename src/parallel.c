/*
 * parallel.c — the setting bpnn.max_parallel_workers in use: how many
 * parallel workers training plans for, and the ParallelContext steps that
 * cross-validation (parallel_cv.c) and training (parallel_train.c) share,
 * as PostgreSQL's parallel index build (nbtsort.c) takes them.
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"

#include "bpnn.h"
#include "model.h"
#include "parallel.h"

int			bpnn_max_parallel_workers = -1;
bool		bpnn_parallel_training = false;

/*
 * how many workers a job of units is worth, within the settings and the
 * shared memory
 */
int
parallel_plan_workers(int64 units, Size per_participant, Size shared_bytes)
{
	Size		limit = (Size) bpnn_memory_limit_kb * 1024;
	int64		workers = bpnn_max_parallel_workers >= 0 ? bpnn_max_parallel_workers
		: max_parallel_maintenance_workers;

	/* a standalone backend has no workers; a worker cannot start more */
	if (!IsUnderPostmaster || IsInParallelMode())
		return 0;
	workers = Min(workers, units - 1);
	/* the shared rows and each participant's own copy within the limit */
	if (per_participant > 0)
		workers = Min(workers, (int64) ((limit > shared_bytes ? limit - shared_bytes : 0)
										/ per_participant) - 1);
	return (int) Max(Min(workers, BPNN_MAX_WORKERS), 0);
}

/*
 * enter parallel mode and create a context for workers running worker_main.
 * The library is named by its path under $libdir, as the install script's
 * MODULE_PATHNAME names it: a bare "bpnn" is looked up along
 * dynamic_library_path, which a server may set without $libdir (MADlib's
 * madpack does), and then every worker failed with "could not access file
 * \"bpnn\"" while the leader, which loaded $libdir/bpnn, ran on
 */
ParallelContext *
parallel_begin(const char *worker_main, int nworkers)
{
	EnterParallelMode();
	return CreateParallelContext("$libdir/bpnn", worker_main, nworkers);
}

/* launch the workers: how many started (none is possible) */
int
parallel_launch(ParallelContext *pcxt)
{
	LaunchParallelWorkers(pcxt);
	ereport(DEBUG1,
			(errmsg("bpnn launched %d of %d planned parallel workers",
					pcxt->nworkers_launched, pcxt->nworkers)));
	return pcxt->nworkers_launched;
}

/* wait for every launched worker to finish */
void
parallel_wait(ParallelContext *pcxt)
{
	WaitForParallelWorkersToFinish(pcxt);
}

/* destroy the context and leave parallel mode */
void
parallel_end(ParallelContext *pcxt)
{
	DestroyParallelContext(pcxt);
	ExitParallelMode();
}
