/*
 * bpnn.c — the extension's entry point: module magic and the settings
 * (GUCs) under the reserved prefix "bpnn.".
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "bpnn.h"
#include "model.h"
#include "parallel.h"

PG_MODULE_MAGIC;

int			bpnn_memory_limit_kb = 1024 * 1024;
bool		bpnn_progress = false;

void		_PG_init(void);

/* the module's settings (bpnn.memory_limit and the others) */
void
_PG_init(void)
{
	DefineCustomIntVariable("bpnn.memory_limit",
							"Sets the most memory the packed training data of bpnn_train may use.",
							"Training reads its rows into memory as float4; a larger "
							"training set is trained by streaming, one aggregate scan "
							"per epoch.",
							&bpnn_memory_limit_kb,
							1024 * 1024,
							64,
							INT_MAX,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("bpnn.progress",
							 "Makes training report its progress as NOTICEs.",
							 "About ten times per training: the epoch, its loss, the time "
							 "elapsed and rows per second.",
							 &bpnn_progress,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("bpnn.max_parallel_workers",
							"Sets the most parallel workers one cross-validation or (with bpnn.parallel_training) in-memory training may use.",
							"-1 (the default) follows max_parallel_maintenance_workers; 0 trains in "
							"the calling backend alone.  The leader works too.  The trained weights "
							"depend on this number (not on how many workers were free).",
							&bpnn_max_parallel_workers,
							-1,
							-1,
							BPNN_MAX_WORKERS,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("bpnn.parallel_training",
							 "Trains in memory on several cores, each mini-batch's gradient summed in slices by the leader and its workers.",
							 "The model is one-process training's but for the order of the float32 sums: "
							 "the same bits for a seed and a planned number of workers.  Batches with too "
							 "little work (rows times weights) train in one process.",
							 &bpnn_parallel_training,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("bpnn");
}
