/*
 * huge_pages.h — a hint that a large fresh matrix (the scanned rows, a
 * normalized copy of them) be backed by transparent huge pages, and one
 * that a range of memory be mapped in one call (populate_pages).
 *
 * Filling fresh memory takes a page fault per 4 kB page, and in a virtual
 * machine a fault is dear: scanning the 200,000 x 28 table of
 * test/bench/speed.sh spent a fifth of its time in the faults of the
 * 22 MB matrix.  Where the kernel's transparent huge pages are "madvise"
 * (Debian's default), MADV_HUGEPAGE makes that a fault per 2 MB.  Only a
 * hint: nothing changes when the kernel declines it or lacks it, and the
 * memory is the context's as before (freed by it, counted as before).
 */
#ifndef BPNN_HUGE_PAGES_H
#define BPNN_HUGE_PAGES_H

#include "postgres.h"

#ifdef __linux__
#include <sys/mman.h>
#endif

/* a huge page of x86-64 and of arm64 with 4 kB pages */
#define BPNN_HUGE_PAGE ((uintptr_t) 2 * 1024 * 1024)

/* advise the whole huge pages inside [p, p + bytes) to be huge */
static inline void
advise_huge_pages(void *p, Size bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	uintptr_t	start = TYPEALIGN(BPNN_HUGE_PAGE, (uintptr_t) p);
	uintptr_t	end = TYPEALIGN_DOWN(BPNN_HUGE_PAGE, (uintptr_t) p + bytes);

	/* a hint: an error (an old kernel, no THP) changes nothing */
	if (end > start)
		(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
#endif
}

/*
 * populate [p, p + bytes) (the whole pages inside) in one call: a shared
 * memory segment is faulted in page by page otherwise, each fault dear in
 * a virtual machine.  write: for memory about to be filled.  A hint too.
 */
static inline void
populate_pages(void *p, Size bytes, bool write)
{
#if defined(__linux__) && defined(MADV_POPULATE_READ) && defined(MADV_POPULATE_WRITE)
	uintptr_t	start = TYPEALIGN(4096, (uintptr_t) p);
	uintptr_t	end = TYPEALIGN_DOWN(4096, (uintptr_t) p + bytes);

	if (end > start)
		(void) madvise((void *) start, end - start,
					   write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ);
#endif
}

#endif							/* BPNN_HUGE_PAGES_H */
