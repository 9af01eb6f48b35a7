/*
 * live_progress.h — live progress of a training for other sessions
 * (live_progress.c): what bpnn_train, bpnn_cross_validate, bpnn_fit,
 * bpnn_search and bpnn_importance publish in the backend's progress slot,
 * and bpnn_progress() that reads it.
 */
#ifndef BPNN_LIVE_PROGRESS_H
#define BPNN_LIVE_PROGRESS_H

/* what the process runs (bpnn_progress()'s command) */
typedef enum LiveCommand
{
	LIVE_TRAIN = 1,
	LIVE_CROSS_VALIDATE,
	LIVE_FIT,
	LIVE_SEARCH,				/* folds of one setting at a time */
	LIVE_IMPORTANCE				/* scoring passes as "epochs", no loss */
} LiveCommand;

/* where it is (bpnn_progress()'s phase) */
typedef enum LivePhase
{
	LIVE_READING = 1,			/* scanning the source */
	LIVE_TRAINING,				/* epochs in memory */
	LIVE_STREAMING,				/* epochs by aggregate scans */
	LIVE_SCORING				/* a fold's test rows, the final scan, or
								 * bpnn_importance's passes */
} LivePhase;

typedef struct LiveProgress LiveProgress;

/*
 * Start publishing, or NULL when this backend cannot: statistics are off
 * (track_activities), or it already reports a command (a VACUUM, a COPY,
 * an outer training).  The handle lives in the current memory context.
 * Every function below takes NULL and then does nothing.  leader_pid: the
 * parallel leader a worker trains for, or 0.
 */
extern LiveProgress *live_progress_begin(LiveCommand command, Oid source, int folds,
										 int leader_pid);

/* the phase now (epochs and loss stay) */
extern void live_progress_phase(LiveProgress *live, LivePhase phase);

/*
 * The next training is fold (0-based) of a cross-validation, and this
 * process trains trainings_after more folds after it (a serial
 * cross-validation's later folds; 0 in a parallel one, where no process
 * knows which folds it will take), for the time left.
 */
extern void live_progress_fold(LiveProgress *live, int fold, int trainings_after);

/* a training's epochs start (phase LIVE_TRAINING or LIVE_STREAMING): rows per epoch, epochs */
extern void live_progress_training(LiveProgress *live, LivePhase phase, int64 rows,
								   int epochs);

/* an epoch (0-based) is done, with its mean loss */
extern void live_progress_epoch(LiveProgress *live, int epoch, double loss);

/* stop publishing (an error or a backend's exit stops it too) */
extern void live_progress_end(LiveProgress *live);

#endif							/* BPNN_LIVE_PROGRESS_H */
