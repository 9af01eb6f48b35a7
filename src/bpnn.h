/*
 * bpnn.h — what the server-side files share: the extension's settings.
 */
#ifndef BPNN_H
#define BPNN_H

/* bpnn.memory_limit, in kB: the most the packed training data may take */
extern int	bpnn_memory_limit_kb;

/* bpnn.progress: training reports its progress as NOTICEs (not "verbose", a keyword SET cannot take) */
extern bool bpnn_progress;

#endif							/* BPNN_H */
