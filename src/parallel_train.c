/*
 * parallel_train.c — bpnn_train in memory on several cores: synchronous
 * data-parallel mini-batches.
 *
 * The leader runs fit_network's loop (the same initial weights, the same
 * seeded shuffle of the rows each epoch, the same batches), and each
 * mini-batch is one round of work shared with the parallel workers: the
 * batch's rows are cut into one fixed slice per planned participant
 * (leader + planned workers), and the slice's error products (fit_gradient,
 * fit.c's batch code) are summed into gradient buffer j in shared memory.
 * Once every slice is in, each participant applies the update itself, to
 * its own copy of the weights and of the optimizer's state: it adds the
 * buffers in slice order (buffer 0 + buffer 1 + ...) and applies the
 * optimizer (fit_update), the same arithmetic on the same numbers in every
 * participant, so every copy holds the same bits.  The leader's copy, in
 * shared memory, is the model; a worker's is in its own memory, so no
 * weight crosses between the cores, only each slice's gradient, once.
 * (Before, the leader alone applied the update and the workers read the
 * weights back: letter with Adam, hidden 32, spent 9 us of a 28 us batch
 * in that update against 3 us in one process.)  The buffers come in two
 * sets, the round's generation's parity, so that the leader can start the
 * next round while a worker still reads the last one's.
 *
 * So the model is serial batch training but for the order in which a
 * batch's float32 products are summed, and the same bits for a seed and a
 * planned worker count: the slices depend on the plan only, and whoever
 * takes a slice computes the same numbers.  Work is taken, not assigned: a
 * round is published as a generation number in the high half of a 64-bit
 * counter whose low half counts the items claimed (a compare-and-swap that
 * fails once the generation moved on), so a worker that never started is
 * simply not waited for; the leader claims what is left.  A worker computes
 * a claimed slice in its own memory and copies it into the slice's buffer
 * only if the slice is still open; a leader done with its own slices waits
 * about as long as one of them took it, then computes the slices still open
 * itself, so a worker that lost its core (a busy machine) delays a batch by
 * about a slice's time, not by a time slice of the scheduler.
 *
 * A worker takes slices of a round only when its weights are those the
 * round starts from (it applied every update before it).  One that fell
 * behind by two rounds or more, or that starts after the first round (as
 * every worker does: starting a process takes milliseconds), copies the
 * leader's weights and state as of the last update, read under a sequence
 * counter the leader moves before and after each update (a seqlock), and
 * goes on from there.  A worker's update is checked the same way: if the
 * leader reused the buffers' set while the worker read them (two rounds
 * on), the worker copies the leader's weights instead.
 *
 * A round is a few tens of microseconds of work (letter: 32 rows, 2,778
 * weights), too little for storage/barrier.h, whose every wait goes through
 * a condition variable and a latch.  Waiting here spins on the atomic
 * counters with pg_spin_delay(), checking for interrupts on every turn,
 * and after SYNC_SPINS turns sleeps on a condition variable (broadcast only
 * when someone sleeps).  A worker's error reaches the leader as an
 * interrupt (the parallel message), the leader's error or cancel
 * terminates the workers (DestroyParallelContext), which see it in their
 * interrupt checks: nobody waits forever and no worker is left behind.
 *
 * The rows are in shared memory for the workers, but nobody gathers a
 * batch from there: a shared segment is mapped in 4 kB pages, and a batch of
 * rows drawn at random from it missed the TLB on every row (MNIST: a worker's
 * slice took 0.30 ms against 0.22 ms from a private copy; the leader's 0.40
 * ms against 0.23 ms from its own rows).  So the leader reads the caller's
 * rows, and each worker first copies them into memory of its own (huge
 * pages where the kernel gives them), which bpnn.memory_limit counts.  The
 * leader fills the segment after populating its pages in one call
 * (populate_pages), not a page fault at a time.
 *
 * Zero planned workers trains exactly as fit_network.  A warm start goes on
 * from the caller's weights and state as fit_network's does (fit_resume),
 * and the leader's copy of the optimizer's state is kept (keep_state).
 */
#include "postgres.h"

#include <time.h>

#include "access/parallel.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "portability/instr_time.h"
#include "storage/condition_variable.h"
#include "storage/shm_toc.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "bpnn.h"
#include "float_sum.h"
#include "huge_pages.h"
#include "parallel.h"

#define PT_KEY_SHARED	UINT64CONST(0xB9A17EA100000001)
#define PT_KEY_X		UINT64CONST(0xB9A17EA100000002)
#define PT_KEY_Y		UINT64CONST(0xB9A17EA100000003)
#define PT_KEY_ORDER	UINT64CONST(0xB9A17EA100000004)
#define PT_KEY_WEIGHTS	UINT64CONST(0xB9A17EA100000005)
#define PT_KEY_CLASS_W	UINT64CONST(0xB9A17EA100000006)
#define PT_KEY_TARGETS	UINT64CONST(0xB9A17EA100000007)

/*
 * The cost rule: a slice must hold at least this many row-weights (rows
 * of the batch times the network's weights; a row-weight is about 3
 * multiply-adds, forward and backward) for a participant to be worth its
 * round of waiting.  Measured on the 2-core Zen 5 with session 6's tiled
 * kernels (test/bench/parallel.sh): letter with the defaults (batch 32,
 * 2,778 weights: 88,896 row-weights, two slices of 44,448) took 1.40 times
 * one process's time with one worker, the update and the exchange of the
 * weights costing more than half a batch (about 4 us); hidden 32 with
 * batch 200 (141,800 a slice) took 0.93 times.  With each participant's
 * own update (session 7) the defaults took 1.01 times (a slice of 16 rows
 * costs 5.5 us where the batch of 32 costs 8.5: a pass has costs that do
 * not halve), hidden 32 with batch 200 0.76 times.  So letter's defaults
 * and batches of a few rows stay serial.
 */
#define SYNC_MIN_SLICE_WORK 50000

/*
 * Turns of pg_spin_delay() before a waiter sleeps on the condition
 * variable: 19 us on this project's Zen 5 (a PAUSE's time differs by CPU).
 * That is shorter than a round in which the leader sums both of letter's
 * slices, so a worker that missed one round often sleeps through the next
 * (a wake-up through the latch takes longer than a slice).  Spinning by
 * the clock for 2 ms, or 3 to 8 times the shortest recent round, avoided
 * that, but on a machine busy with other jobs (load average 3.5 to 4.6 on
 * 2 cores) one worker then took 1.20 to 1.48 times one process's wall
 * clock, against 1.03 to 1.14 times with this, in interleaved runs: the
 * scheduler runs a sleeper that wakes at once, a spinner when its turn
 * comes.  See docs/big-data.md, "Where the time goes".
 */
#define SYNC_SPINS 1000

/*
 * How long the leader waits, after its own slices, before it computes the
 * slices still open itself: its own time per slice times this (a worker
 * that started its slice a little later finishes it first), and at least
 * SYNC_STEAL_MIN_US
 */
#define SYNC_STEAL_FACTOR 1.5
#define SYNC_STEAL_MIN_US 20.0

/* the sleep's timeout, a safety net: every change of state broadcasts */
#define SYNC_SLEEP_MS 10

/*
 * Where a participant's time goes, in nanoseconds, totals per training
 * (DEBUG1): the leader's and the workers' (summed) are reported at the end
 */
typedef enum SyncTimer
{
	T_OWN,						/* slices taken and computed (leader: its own) */
	T_PATIENCE,					/* leader: waiting for a worker's slice */
	T_STEAL,					/* leader: computing a late worker's slice */
	T_UPDATE,					/* the update of its copy of the weights */
	T_EPOCH,					/* leader: shuffle and end of epoch */
	T_WAIT,						/* waiting for a round (spin and sleep) */
	T_SLEEP,					/* of which asleep on the condition variable */
	T_COPY,						/* worker: copying its sums in */
	T_DROPPED,					/* worker: slices computed but dropped */
	T_RESYNC,					/* worker: copying the leader's weights */
	T_TIMERS
} SyncTimer;

static const char *const timer_names[T_TIMERS] = {
	"slices", "patience", "stolen", "update", "epoch", "wait", "asleep", "copy", "dropped",
	"resync"
};

/* what the update of a round needs: fixed from its publication until two rounds on */
typedef struct RoundSet
{
	pg_atomic_uint32 generation;	/* its round's; 0 while being rewritten */
	int64		rows;			/* the batch's rows */
	long		step;			/* Adam's update number */
} RoundSet;

/* a slice of the current batch */
typedef struct SliceSlot
{
	pg_atomic_uint64 state;		/* SLOT(generation, SLICE_...) */
	double		loss;			/* its rows' loss, once taken */
} SliceSlot;

/*
 * A slice is open until a worker that computed it (in its own memory)
 * takes it to copy its sums into the slice's buffer, or the leader takes it
 * to compute it there itself (its own slices, or a worker's that is late:
 * stolen).  Whoever takes it first counts; a late worker's sums are dropped.
 */
#define SLICE_OPEN 0
#define SLICE_TAKEN 1
#define SLOT(generation, state) ((uint64) (generation) << 2 | (uint64) (state))

typedef struct SyncShared
{
	pg_atomic_uint64 claim;		/* CLAIM(generation, items, items taken) */
	pg_atomic_uint32 done;		/* items of the generation finished */
	pg_atomic_uint32 sleepers;	/* waiters on cv */
	pg_atomic_uint32 finished;	/* the leader is done: workers leave */
	pg_atomic_uint64 worker_slices;	/* slices the workers computed (DEBUG1) */
	pg_atomic_uint64 worker_ns[T_TIMERS];	/* the workers' timers (DEBUG1) */
	pg_atomic_uint64 worker_counts[T_TIMERS];
	pg_atomic_uint64 first_claim_ns;	/* when a worker first took an item */
	/* odd while the leader updates its weights; moved twice per update */
	pg_atomic_uint64 update_seq;
	uint32		updated;		/* the generation whose update they hold */
	ConditionVariable cv;
	/* the current batch, written by the leader before it publishes a round */
	int64		first;			/* the batch: order[first .. first + rows) */
	int64		rows;
	RoundSet	sets[2];		/* by the generation's parity */
	/* fixed for the training */
	int			n_slices;		/* planned participants */
	NnLayout	layout;
	FitOptions	options;		/* class_weight: NULL, see has_class_weight */
	bool		has_class_weight;	/* PT_KEY_CLASS_W holds them */
	bool		shuffled;		/* rows through order (batch < rows) */
	bool		timed;			/* DEBUG1 is logged: the timers run */
	int			n_classes;
	int64		n_rows;
	Size		n_weights;
	SliceSlot	slices[FLEXIBLE_ARRAY_MEMBER];
} SyncShared;

/*
 * The float arrays in shared memory: the leader's weights and optimizer's
 * two states (the model), then two sets of one gradient buffer per slice,
 * a round's set by the parity of its generation
 */
#define WEIGHTS(f, sh) (f)
#define STATE1(f, sh) ((f) + (sh)->n_weights)
#define STATE2(f, sh) ((f) + 2 * (sh)->n_weights)
#define GRAD(f, sh, generation, j) \
	((f) + (Size) (3 + ((generation) & 1) * (sh)->n_slices + (j)) * (sh)->n_weights)
#define FLOAT_ARRAYS(slices) (3 + 2 * (Size) (slices))

/*
 * A round's counter: its generation and number of items (so that an item
 * is never taken on the strength of another round's) and how many of them
 * are claimed
 */
#define CLAIM(generation, items, taken) \
	((uint64) (generation) << 32 | (uint64) (items) << 16 | (uint64) (taken))
#define CLAIM_GENERATION(c) ((uint32) ((c) >> 32))
#define CLAIM_ITEMS(c) ((uint32) ((c) >> 16) & 0x7FFF)
#define CLAIM_TAKEN(c) ((uint32) (c) & 0xFFFF)

/* what a participant holds in its own memory */
typedef struct Participant
{
	SyncShared *shared;
	FitData		data;			/* the rows: the caller's, or a worker's copy */
	float	   *floats;			/* the float arrays in shared memory */
	uint32_t   *order;
	FitOptions	options;
	FitStepper	stepper;		/* its scratch; state1/state2 its optimizer's */
	FitHooks	hooks;
	float	   *weights;		/* its copy (the leader's: the shared one) */
	float	   *sum;			/* its sum of a round's buffers */
	bool		leader;
	uint32		generation;		/* the leader's: the last published */
	uint32		updated;		/* a worker's: the last round its weights have */
	bool		in_step;		/* a worker's: its weights are those after round updated */
	uint64		slices;			/* slices it computed and took */
	bool		timed;			/* DEBUG1 is logged: the timers run */
	uint64		ns[T_TIMERS];	/* its timers (DEBUG1) */
	uint64		counts[T_TIMERS];
} Participant;

/* a monotonic clock in nanoseconds, the same in every process */
static inline uint64
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64) ts.tv_sec * UINT64CONST(1000000000) + (uint64) ts.tv_nsec;
}

/* now for p's timers, or 0 when they do not run (no clock read per slice) */
static inline uint64
stamp(Participant *p)
{
	return p->timed ? now_ns() : 0;
}

PGDLLEXPORT void bpnn_train_worker_main(dsm_segment *seg, shm_toc *toc);

static void wake(SyncShared *sh);
static bool moved_on(SyncShared *sh, uint32 generation);
static void wait_until(Participant *p, bool (*cond) (SyncShared *, uint32), uint32 arg);

/*
 * slice j of the current batch: its rows' gradient sums added to grad
 * (zero), their loss returned.  The batch is read once: a worker late by a
 * round or more computes sums that will be dropped, but stays within the
 * rows.
 */
static double
slice_sums(Participant *p, uint32 j, float *grad)
{
	SyncShared *sh = p->shared;
	int64		first = sh->first;
	int64		rows = sh->rows;
	int64		from = Min(first + rows * j / sh->n_slices, sh->n_rows);
	int64		to = Min(first + rows * (j + 1) / sh->n_slices, sh->n_rows);

	return fit_gradient(&p->stepper, p->weights, &p->options, &p->data,
						sh->shuffled ? p->order : NULL, from, Max(to - from, 0), grad,
						&p->hooks, NULL);
}

/* the round's count of finished items: one more (wakes the waiters after the last) */
static void
item_done(SyncShared *sh)
{
	pg_write_barrier();
	if (pg_atomic_add_fetch_u32(&sh->done, 1) == (uint32) sh->n_slices)
		wake(sh);
}

/* the leader: take slice j of generation if it is open, and compute it in its buffer */
static void
lead_slice(Participant *p, uint32 generation, uint32 j, SyncTimer timer)
{
	SyncShared *sh = p->shared;
	uint64		open = SLOT(generation, SLICE_OPEN);
	float	   *grad = GRAD(p->floats, sh, generation, j);
	uint64		t0;

	if (!pg_atomic_compare_exchange_u64(&sh->slices[j].state, &open,
										SLOT(generation, SLICE_TAKEN)))
		return;
	t0 = stamp(p);
	memset(grad, 0, sizeof(float) * sh->n_weights);
	sh->slices[j].loss = slice_sums(p, j, grad);
	p->ns[timer] += stamp(p) - t0;
	p->counts[timer]++;
	p->slices++;
	item_done(sh);
}

/* a worker: compute slice j in its own memory, then copy it in if still open */
static void
work_slice(Participant *p, uint32 generation, uint32 j)
{
	SyncShared *sh = p->shared;
	float	   *mine = p->stepper.grad;
	uint64		t0 = stamp(p);
	double		loss;
	uint64		open = SLOT(generation, SLICE_OPEN);
	uint64		t1;

	if (p->timed && pg_atomic_read_u64(&sh->first_claim_ns) == 0)
		pg_atomic_write_u64(&sh->first_claim_ns, t0);
	loss = slice_sums(p, j, mine);
	t1 = stamp(p);
	p->ns[T_OWN] += t1 - t0;
	p->counts[T_OWN]++;
	if (pg_atomic_compare_exchange_u64(&sh->slices[j].state, &open,
									   SLOT(generation, SLICE_TAKEN)))
	{
		memcpy(GRAD(p->floats, sh, generation, j), mine, sizeof(float) * sh->n_weights);
		p->ns[T_COPY] += stamp(p) - t1;
		p->counts[T_COPY]++;
		sh->slices[j].loss = loss;
		p->slices++;
		item_done(sh);
	}
	else
	{
		p->ns[T_DROPPED] += t1 - t0;
		p->counts[T_DROPPED]++;
	}
	memset(mine, 0, sizeof(float) * sh->n_weights);
}

/*
 * the update of round generation to p's weights and optimizer state: the
 * round's buffers added in slice order, then the optimizer
 */
static void
apply_update(Participant *p, uint32 generation, int64 rows, long step)
{
	SyncShared *sh = p->shared;
	uint64		t0 = stamp(p);
	int			j;

	memcpy(p->sum, GRAD(p->floats, sh, generation, 0), sizeof(float) * sh->n_weights);
	for (j = 1; j < sh->n_slices; j++)
		float_sum_add(p->sum, GRAD(p->floats, sh, generation, j), sh->n_weights);
	fit_update(&p->stepper, p->weights, &p->options, p->sum, 0, sh->n_weights, step, rows);
	p->ns[T_UPDATE] += stamp(p) - t0;
	p->counts[T_UPDATE]++;
}

/*
 * the leader: publish what round generation's update needs, before the
 * round (a worker reading the set of the round two before sees the tag
 * change)
 */
static void
publish_set(SyncShared *sh, uint32 generation, int64 rows, long step)
{
	RoundSet   *set = &sh->sets[generation & 1];

	pg_atomic_write_u32(&set->generation, 0);
	pg_write_barrier();
	set->rows = rows;
	set->step = step;
	pg_write_barrier();
	pg_atomic_write_u32(&set->generation, generation);
}

/* the leader: its update of round generation, inside the sequence counter */
static void
lead_update(Participant *p, uint32 generation, int64 rows, long step)
{
	SyncShared *sh = p->shared;

	pg_atomic_fetch_add_u64(&sh->update_seq, 1);	/* odd; a full barrier */
	apply_update(p, generation, rows, step);
	sh->updated = generation;
	pg_atomic_fetch_add_u64(&sh->update_seq, 1);	/* even again */
}

/*
 * a worker: its copy of the leader's weights and optimizer state as of
 * the leader's last update, read while the sequence counter stays even
 * and unmoved (a seqlock's reader); before the first weights, asleep
 * until the first round
 */
static void
resync(Participant *p)
{
	SyncShared *sh = p->shared;
	Size		bytes = sizeof(float) * sh->n_weights;
	uint64		t0 = stamp(p);

	for (;;)
	{
		uint32		generation = CLAIM_GENERATION(pg_atomic_read_u64(&sh->claim));
		uint64		before;
		uint32		updated;

		pg_read_barrier();
		before = pg_atomic_read_u64(&sh->update_seq);
		CHECK_FOR_INTERRUPTS();
		if (pg_atomic_read_u32(&sh->finished) != 0)
			break;
		if (before & 1)
		{
			/*
			 * the leader is updating its weights: a few microseconds, spin.
			 * Before its first weights (generation 0), though, a warm start
			 * replays its epochs' shuffles, which can take seconds: sleep
			 * until the first round instead of keeping a core busy.
			 * (Sleeping mid-training too, after a spin, measured slower
			 * for one training on a busy 2-core machine, if faster for two
			 * at once: the worker rejoined the rounds later.)
			 */
			if (generation == 0)
				wait_until(p, moved_on, generation);
			else
				pg_spin_delay();
			continue;
		}
		pg_read_barrier();
		memcpy(p->weights, WEIGHTS(p->floats, sh), bytes);
		memcpy(p->stepper.state1, STATE1(p->floats, sh), bytes);
		memcpy(p->stepper.state2, STATE2(p->floats, sh), bytes);
		updated = sh->updated;
		pg_read_barrier();
		if (pg_atomic_read_u64(&sh->update_seq) == before)
		{
			p->updated = updated;
			p->in_step = true;
			break;
		}
	}
	p->ns[T_RESYNC] += stamp(p) - t0;
	p->counts[T_RESYNC]++;
}

/*
 * a worker: round generation's update to its own weights, once the round
 * is over; checked afterwards that the leader did not reuse the round's
 * set meanwhile (its buffers from round generation + 2 on, its tag as
 * soon as it publishes that round's), else the weights are resynced
 */
static void
work_update(Participant *p, uint32 generation)
{
	SyncShared *sh = p->shared;
	RoundSet   *set = &sh->sets[generation & 1];
	uint32		tag = pg_atomic_read_u32(&set->generation);
	int64		rows;
	long		step;

	pg_read_barrier();
	rows = set->rows;
	step = set->step;
	if (tag == generation)
		apply_update(p, generation, rows, step);
	pg_read_barrier();
	if (tag == generation &&
		pg_atomic_read_u32(&set->generation) == generation &&
		(uint32) (CLAIM_GENERATION(pg_atomic_read_u64(&sh->claim)) - generation) < 2)
		p->updated = generation;
	else
		p->in_step = false;
}

/* wake the sleepers, if any, after a change of state */
static void
wake(SyncShared *sh)
{
	pg_memory_barrier();
	if (pg_atomic_read_u32(&sh->sleepers) > 0)
		ConditionVariableBroadcast(&sh->cv);
}

/* has the round moved past generation (or training finished)? a worker's wait */
static bool
moved_on(SyncShared *sh, uint32 generation)
{
	uint64		claim = pg_atomic_read_u64(&sh->claim);

	return pg_atomic_read_u32(&sh->finished) != 0 ||
		CLAIM_GENERATION(claim) != generation;
}

/* is round generation over (every slice in, or a later round published)? */
static bool
round_over(SyncShared *sh, uint32 generation)
{
	if (moved_on(sh, generation))
		return true;

	/*
	 * the count read after the counter that says the round is still
	 * generation (the leader resets the count before it publishes a round):
	 * else a weakly ordered CPU may read the last round's full count, and
	 * work_update sum buffers still being written, then pass its checks
	 */
	pg_read_barrier();
	return pg_atomic_read_u32(&sh->done) >= (uint32) sh->n_slices;
}

/* wait until cond(sh, arg): spin, then sleep; interrupts checked throughout */
static void
wait_until(Participant *p, bool (*cond) (SyncShared *, uint32), uint32 arg)
{
	SyncShared *sh = p->shared;
	uint64		t0 = stamp(p);
	uint64		t1;
	int			spins;

	p->counts[T_WAIT]++;
	for (spins = 0; spins < SYNC_SPINS; spins++)
	{
		if (cond(sh, arg))
		{
			p->ns[T_WAIT] += stamp(p) - t0;
			return;
		}
		CHECK_FOR_INTERRUPTS();
		pg_spin_delay();
	}
	t1 = stamp(p);
	p->counts[T_SLEEP]++;
	pg_atomic_fetch_add_u32(&sh->sleepers, 1);	/* a full barrier */
	ConditionVariablePrepareToSleep(&sh->cv);
	while (!cond(sh, arg))
		(void) ConditionVariableTimedSleep(&sh->cv, SYNC_SLEEP_MS, PG_WAIT_EXTENSION);
	ConditionVariableCancelSleep();
	pg_atomic_fetch_sub_u32(&sh->sleepers, 1);
	p->ns[T_SLEEP] += stamp(p) - t1;
	p->ns[T_WAIT] += stamp(p) - t0;
}

/* is the leader's round finished? */
static bool
round_done(SyncShared *sh, uint32 generation)
{
	(void) generation;
	return pg_atomic_read_u32(&sh->done) >= (uint32) sh->n_slices;
}

/* take slices of generation until the round has moved on or every one is taken */
static void
take_items(Participant *p, uint32 generation)
{
	SyncShared *sh = p->shared;
	uint64		claim = pg_atomic_read_u64(&sh->claim);

	for (;;)
	{
		uint32		item = CLAIM_TAKEN(claim);
		uint32		items = CLAIM_ITEMS(claim);

		if (CLAIM_GENERATION(claim) != generation || item >= items)
			return;
		if (!pg_atomic_compare_exchange_u64(&sh->claim, &claim, claim + 1))
			continue;			/* claim now holds the current value */
		/* claimed: a slice may be stolen and the round go on (slice_sums reads the batch once) */
		pg_read_barrier();
		if (p->leader)
			lead_slice(p, generation, item, T_OWN);
		else
			work_slice(p, generation, item);
		claim = pg_atomic_read_u64(&sh->claim);
	}
}

/* the leader: publish a round, take part in it, wait for its last slice */
static void
run_round(Participant *p)
{
	SyncShared *sh = p->shared;
	uint32		n_items = (uint32) sh->n_slices;
	uint64		before = p->slices;
	instr_time	start,
				now;
	double		patience;
	uint32		j;
	uint64		t0;
	bool		stole = false;

	pg_atomic_write_u32(&sh->done, 0);
	for (j = 0; j < n_items; j++)
		pg_atomic_write_u64(&sh->slices[j].state, SLOT(p->generation, SLICE_OPEN));
	pg_write_barrier();
	pg_atomic_write_u64(&sh->claim, CLAIM(p->generation, n_items, 0));
	wake(sh);

	INSTR_TIME_SET_CURRENT(start);
	take_items(p, p->generation);
	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	patience = Max(SYNC_STEAL_MIN_US, SYNC_STEAL_FACTOR * INSTR_TIME_GET_MICROSEC(now) /
				   (double) Max(p->slices - before, 1));
	/* a worker late with its slices (no core free?): compute them here */
	INSTR_TIME_SET_CURRENT(start);
	t0 = stamp(p);
	while (!round_done(sh, p->generation))
	{
		CHECK_FOR_INTERRUPTS();
		pg_spin_delay();
		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		if (INSTR_TIME_GET_MICROSEC(now) >= patience)
		{
			p->ns[T_PATIENCE] += stamp(p) - t0;
			p->counts[T_PATIENCE]++;
			stole = true;
			for (j = 0; j < n_items && !round_done(sh, p->generation); j++)
				lead_slice(p, p->generation, j, T_STEAL);
			break;
		}
	}
	if (!stole)
		p->ns[T_PATIENCE] += stamp(p) - t0;
	wait_until(p, round_done, p->generation);
	pg_read_barrier();
}

/*
 * a worker: each round its weights start from, its slices and the update;
 * behind (or at the start), the leader's weights first
 */
static void
work(Participant *p)
{
	SyncShared *sh = p->shared;

	for (;;)
	{
		uint32		generation = CLAIM_GENERATION(pg_atomic_read_u64(&sh->claim));
		uint32		ahead = generation - p->updated;	/* modulo 2^32 */

		if (pg_atomic_read_u32(&sh->finished) != 0)
			return;
		if (!p->in_step || ahead > 1)
			resync(p);
		else if (ahead == 0)
			wait_until(p, moved_on, generation);	/* the next round is not out yet */
		else
		{
			/* generation == updated + 1: the round starts from these weights */
			take_items(p, generation);
			wait_until(p, round_over, generation);
			if (pg_atomic_read_u32(&sh->finished) != 0)
				return;
			work_update(p, generation);
		}
	}
}

/*
 * the leader's training: fit_network's loop, each batch a shared round;
 * a warm start (resume) picks up where fit_network's would
 */
static void
lead(Participant *p, const FitData *validation, const FitResume *resume, FitResult *result)
{
	SyncShared *sh = p->shared;
	const NnLayout *layout = &sh->layout;
	const int64 n = sh->n_rows;
	const int64 batch = p->options.batch_size <= 0 || p->options.batch_size > n
		? n : p->options.batch_size;
	float	   *weights = WEIGHTS(p->floats, sh);
	float	   *best = validation ? p->hooks.alloc(p->hooks.arg,
												   sizeof(float) * sh->n_weights) : NULL;
	FitScratch	scratch;
	FitStepper	kept;
	NnRng		rng = {0};
	long		step = 0;
	int			epoch = 0;

	fit_scratch_init(&scratch, layout, &p->hooks);
	/* the same initial weights and shuffles as fit_network */
	nn_rng_seed(&rng, p->options.seed);
	if (resume == NULL)
		nn_init_weights(layout, weights, p->options.init_range, &rng);
	fit_result_init(result, &p->options, &p->hooks);
	if (resume)
	{
		/* the optimizer's state goes to the leader's arrays, in shared memory */
		fit_resume(resume, layout, weights, &p->options, n, sh->shuffled ? p->order : NULL,
				   &rng, &p->stepper, best, &p->hooks, result);
		step = p->stepper.step;
		epoch = resume->epochs_done;
		if (validation && result->best_epoch > 0 &&
			epoch - result->best_epoch >= p->options.patience)
			epoch = p->options.epochs;
	}
	/* the starting weights and state are in: workers may copy them (even) */
	pg_atomic_fetch_add_u64(&sh->update_seq, 1);
	for (; epoch < p->options.epochs; epoch++)
	{
		double		loss = 0.0;
		int64		start;
		uint64		t0 = stamp(p);

		if (sh->shuffled)
			fit_shuffle(p->order, n, &rng);
		p->ns[T_EPOCH] += stamp(p) - t0;
		for (start = 0; start < n; start += batch)
		{
			int64		rows = n - start < batch ? n - start : batch;
			long		update_step = p->options.optimizer == FIT_ADAM ? step + 1 : step;
			int			j;

			/* after 2^32 - 1 rounds, on from 1: 0 is "no round yet", and a set's tag while rewritten */
			if (++p->generation == 0)
				p->generation = 1;
			publish_set(sh, p->generation, rows, update_step);
			sh->first = start;
			sh->rows = rows;
			run_round(p);
			for (j = 0; j < sh->n_slices; j++)
				loss += sh->slices[j].loss;
			step = update_step;
			lead_update(p, p->generation, rows, step);
		}
		t0 = stamp(p);
		if (!fit_epoch_done(layout, &p->options, weights, epoch, loss / (double) n,
							validation, best, &p->hooks, &scratch, result))
			break;
		p->ns[T_EPOCH] += stamp(p) - t0;
		p->counts[T_EPOCH]++;
	}
	pg_atomic_write_u32(&sh->finished, 1);
	wake(sh);

	/*
	 * the leader's optimizer state (its own update's, in shared memory), out
	 * of shared memory for keep_state: fit_network's for the same batches
	 */
	kept = p->stepper;
	kept.step = step;
	kept.state1 = p->hooks.alloc(p->hooks.arg, sizeof(float) * sh->n_weights);
	memcpy(kept.state1, STATE1(p->floats, sh), sizeof(float) * sh->n_weights);
	kept.state2 = NULL;
	if (p->options.optimizer == FIT_ADAM)
	{
		kept.state2 = p->hooks.alloc(p->hooks.arg, sizeof(float) * sh->n_weights);
		memcpy(kept.state2, STATE2(p->floats, sh), sizeof(float) * sh->n_weights);
	}
	fit_keep_state(&kept, weights, best, &p->hooks, result);
	fit_finish(layout, weights, &p->data, best, &p->hooks, &scratch, result);
}

/* the timers at DEBUG1: where the time of a parallel training went */
static void
report_timers(Participant *p, uint64 t_start, uint64 t_launch, uint64 t_lead, uint64 t_end)
{
	SyncShared *sh = p->shared;
	uint64		first = pg_atomic_read_u64(&sh->first_claim_ns);
	StringInfoData buf;
	int			i;

	if (!p->timed)
		return;
	initStringInfo(&buf);
	appendStringInfo(&buf, "setup %.1f ms, launch %.1f ms, training %.1f ms, first worker item after %.1f ms; leader:",
					 (t_launch - t_start) / 1e6, (t_lead - t_launch) / 1e6,
					 (t_end - t_lead) / 1e6,
					 first ? ((double) first - (double) t_lead) / 1e6 : -1.0);
	for (i = 0; i < T_TIMERS; i++)
		if (p->ns[i] > 0)
			appendStringInfo(&buf, " %s %.1f ms (" UINT64_FORMAT ")", timer_names[i],
							 p->ns[i] / 1e6, p->counts[i]);
	appendStringInfoString(&buf, "; workers:");
	for (i = 0; i < T_TIMERS; i++)
		if (pg_atomic_read_u64(&sh->worker_ns[i]) > 0)
			appendStringInfo(&buf, " %s %.1f ms (" UINT64_FORMAT ")", timer_names[i],
							 pg_atomic_read_u64(&sh->worker_ns[i]) / 1e6,
							 pg_atomic_read_u64(&sh->worker_counts[i]));
	ereport(DEBUG1, (errmsg_internal("bpnn parallel training timers: %s", buf.data)));
	pfree(buf.data);
}

/* the bytes of n_rows rows of inputs */
static Size
rows_bytes(const NnLayout *layout, int64 n_rows)
{
	return mul_size(sizeof(float) * (Size) layout->sizes[0], (Size) n_rows);
}

/* how many workers: a slice's share of a batch's work, memory */
static int
plan_workers(const NnLayout *layout, const FitOptions *options, const FitData *data,
			 Size shared_bytes)
{
	Size		n_weights = nn_weight_count(layout);
	int64		batch = options->batch_size <= 0 || options->batch_size > data->n_rows
		? data->n_rows : options->batch_size;
	double		work = (double) batch * (double) n_weights;

	/*
	 * per participant: its two gradient buffers in shared memory, its own
	 * gradient, copy of the weights and of the optimizer's two states, and
	 * sum (7 arrays of the weights' size), (at most) a chunk's scratch and
	 * its copy of the rows (the leader's are the caller's: counted anyway)
	 */
	return parallel_plan_workers((int64) Min(work / SYNC_MIN_SLICE_WORK, (double) PG_INT32_MAX),
								 add_size(sizeof(float) * (7 * n_weights +
														   nn_workspace_floats(layout, FIT_CHUNK_ROWS)),
										  rows_bytes(layout, data->n_rows)),
								 shared_bytes);
}

/* train in memory with parallel workers where the cost rule plans them (parallel.h) */
int
parallel_fit_network(const NnLayout *layout, float *weights, const FitOptions *options,
					 const FitData *data, const FitData *validation, int n_classes,
					 const FitHooks *hooks, const FitResume *resume, FitResult *result)
{
	Size		n_weights = nn_weight_count(layout);
	Size		x_bytes = rows_bytes(layout, data->n_rows);
	Size		y_bytes = sizeof(int32) * (Size) data->n_rows;
	Size		order_bytes = sizeof(uint32_t) * (Size) data->n_rows;
	/* regression: the standardized targets */
	Size		t_bytes = data->t ? sizeof(float) * (Size) layout->sizes[layout->n_layers] *
		data->n_rows : 0;
	int			nworkers = plan_workers(layout, options, data,
										x_bytes + y_bytes + order_bytes + t_bytes +
										sizeof(float) * 3 * n_weights);
	int			n_slices = nworkers + 1;
	Size		shared_bytes,
				float_bytes;
	ParallelContext *pcxt;
	SyncShared *sh;
	Participant p;
	void	   *chunk;
	int64		i;
	uint64		t_start = now_ns(),
				t_launch,
				t_lead,
				t_end;

	StaticAssertStmt(BPNN_MAX_WORKERS + 1 <= 0x7FFF, "a round's items must fit CLAIM");
	if (nworkers == 0)
	{
		fit_network(layout, weights, options, data, validation, hooks, resume, result);
		return 0;
	}

	shared_bytes = add_size(offsetof(SyncShared, slices), mul_size(sizeof(SliceSlot), n_slices));
	float_bytes = mul_size(sizeof(float) * n_weights, FLOAT_ARRAYS(n_slices));
	pcxt = parallel_begin("bpnn_train_worker_main", nworkers);
	shm_toc_estimate_chunk(&pcxt->estimator, shared_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, x_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, y_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, order_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, float_bytes);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(float) * n_classes);
	if (t_bytes > 0)
		shm_toc_estimate_chunk(&pcxt->estimator, t_bytes);
	shm_toc_estimate_keys(&pcxt->estimator, 7);
	InitializeParallelDSM(pcxt);

	sh = shm_toc_allocate(pcxt->toc, shared_bytes);
	memset(sh, 0, shared_bytes);
	pg_atomic_init_u64(&sh->claim, 0);
	pg_atomic_init_u32(&sh->done, 0);
	pg_atomic_init_u32(&sh->sleepers, 0);
	pg_atomic_init_u32(&sh->finished, 0);
	pg_atomic_init_u64(&sh->worker_slices, 0);
	for (i = 0; i < T_TIMERS; i++)
	{
		pg_atomic_init_u64(&sh->worker_ns[i], 0);
		pg_atomic_init_u64(&sh->worker_counts[i], 0);
	}
	pg_atomic_init_u64(&sh->first_claim_ns, 0);
	pg_atomic_init_u64(&sh->update_seq, 1);	/* odd: no weights yet */
	pg_atomic_init_u32(&sh->sets[0].generation, 0);
	pg_atomic_init_u32(&sh->sets[1].generation, 0);
	ConditionVariableInit(&sh->cv);
	for (i = 0; i < n_slices; i++)
		pg_atomic_init_u64(&sh->slices[i].state, SLOT(0, SLICE_TAKEN));
	sh->n_slices = n_slices;
	sh->layout = *layout;
	sh->options = *options;
	sh->options.class_weight = NULL;
	sh->has_class_weight = options->class_weight != NULL;
	sh->shuffled = options->batch_size > 0 && options->batch_size < data->n_rows;
	sh->timed = message_level_is_interesting(DEBUG1);
	sh->n_classes = n_classes;
	sh->n_rows = data->n_rows;
	sh->n_weights = n_weights;
	shm_toc_insert(pcxt->toc, PT_KEY_SHARED, sh);

	memset(&p, 0, sizeof(p));
	p.shared = sh;
	p.data.n_rows = data->n_rows;
	chunk = shm_toc_allocate(pcxt->toc, x_bytes);
	populate_pages(chunk, x_bytes, true);
	memcpy(chunk, data->x, x_bytes);
	shm_toc_insert(pcxt->toc, PT_KEY_X, chunk);
	chunk = shm_toc_allocate(pcxt->toc, y_bytes);
	memcpy(chunk, data->y, y_bytes);
	shm_toc_insert(pcxt->toc, PT_KEY_Y, chunk);
	if (t_bytes > 0)
	{
		chunk = shm_toc_allocate(pcxt->toc, t_bytes);
		populate_pages(chunk, t_bytes, true);
		memcpy(chunk, data->t, t_bytes);
		shm_toc_insert(pcxt->toc, PT_KEY_TARGETS, chunk);
	}
	p.order = shm_toc_allocate(pcxt->toc, order_bytes);
	for (i = 0; i < data->n_rows; i++)
		p.order[i] = (uint32_t) i;
	shm_toc_insert(pcxt->toc, PT_KEY_ORDER, p.order);
	p.floats = shm_toc_allocate(pcxt->toc, float_bytes);
	memset(p.floats, 0, float_bytes);
	if (resume)
		memcpy(WEIGHTS(p.floats, sh), weights, sizeof(float) * n_weights);
	shm_toc_insert(pcxt->toc, PT_KEY_WEIGHTS, p.floats);
	chunk = shm_toc_allocate(pcxt->toc, sizeof(float) * n_classes);
	if (options->class_weight)
		memcpy(chunk, options->class_weight, sizeof(float) * n_classes);
	shm_toc_insert(pcxt->toc, PT_KEY_CLASS_W, chunk);

	/* the leader reads the caller's rows */
	p.data.x = data->x;
	p.data.y = data->y;
	p.data.t = data->t;
	p.options = *options;
	p.hooks = *hooks;
	fit_stepper_init(&p.stepper, layout, hooks);
	p.stepper.state1 = STATE1(p.floats, sh);
	p.stepper.state2 = STATE2(p.floats, sh);
	p.weights = WEIGHTS(p.floats, sh);
	p.sum = palloc(sizeof(float) * n_weights);
	p.leader = true;
	p.timed = sh->timed;

	t_launch = now_ns();
	parallel_launch(pcxt);
	t_lead = now_ns();
	lead(&p, validation, resume, result);
	t_end = now_ns();
	parallel_wait(pcxt);
	ereport(DEBUG1,
			(errmsg("bpnn parallel training: the leader computed " UINT64_FORMAT " slices, the workers " UINT64_FORMAT,
					p.slices, pg_atomic_read_u64(&sh->worker_slices))));
	report_timers(&p, t_start, t_launch, t_lead, t_end);
	memcpy(weights, WEIGHTS(p.floats, sh), sizeof(float) * n_weights);
	parallel_end(pcxt);
	return nworkers;
}

/* a worker's own copy of the shared rows (see the top of the file) */
static float *
private_rows(const float *shared, Size bytes)
{
	float	   *mine = MemoryContextAllocHuge(CurrentMemoryContext, bytes);

	advise_huge_pages(mine, bytes);
	populate_pages((void *) shared, bytes, false);
	memcpy(mine, shared, bytes);
	return mine;
}

/* a parallel worker: slices and its own updates until the leader is done */
void
bpnn_train_worker_main(dsm_segment *seg, shm_toc *toc)
{
	Participant p;
	float	   *class_weight;
	int			i;

	memset(&p, 0, sizeof(p));
	p.shared = shm_toc_lookup(toc, PT_KEY_SHARED, false);
	p.data.x = private_rows(shm_toc_lookup(toc, PT_KEY_X, false),
							rows_bytes(&p.shared->layout, p.shared->n_rows));
	p.data.y = shm_toc_lookup(toc, PT_KEY_Y, false);
	p.data.n_rows = p.shared->n_rows;
	p.data.t = shm_toc_lookup(toc, PT_KEY_TARGETS, true);
	p.order = shm_toc_lookup(toc, PT_KEY_ORDER, false);
	p.floats = shm_toc_lookup(toc, PT_KEY_WEIGHTS, false);
	class_weight = shm_toc_lookup(toc, PT_KEY_CLASS_W, false);
	p.timed = p.shared->timed;
	p.options = p.shared->options;
	p.options.class_weight = p.shared->has_class_weight ? class_weight : NULL;
	train_hooks(&p.hooks, CurrentMemoryContext);
	fit_stepper_init(&p.stepper, &p.shared->layout, &p.hooks);
	/* its own weights and optimizer state, copied from the leader's (resync) */
	p.weights = palloc(sizeof(float) * p.shared->n_weights);
	p.sum = palloc(sizeof(float) * p.shared->n_weights);
	p.stepper.state1 = palloc(sizeof(float) * p.shared->n_weights);
	p.stepper.state2 = palloc(sizeof(float) * p.shared->n_weights);
	work(&p);
	pg_atomic_fetch_add_u64(&p.shared->worker_slices, p.slices);
	for (i = 0; i < T_TIMERS; i++)
	{
		pg_atomic_fetch_add_u64(&p.shared->worker_ns[i], p.ns[i]);
		pg_atomic_fetch_add_u64(&p.shared->worker_counts[i], p.counts[i]);
	}
}
