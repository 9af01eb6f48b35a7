/*
 * csv.h — a small reader for the data sets under test/data (header row,
 * numeric feature columns, label last), for the tools that exercise the
 * kernel outside the server.  Not used by the extension itself.
 */
#ifndef BPNN_BENCH_CSV_H
#define BPNN_BENCH_CSV_H

#include <stdint.h>

typedef struct CsvData
{
	int64_t		n_rows;
	int			n_features;
	int			n_classes;
	double	   *x;				/* n_rows x n_features */
	int32_t    *y;				/* class ids, classes sorted by name */
	char	  **class_names;
} CsvData;

/* exits with a message on malformed input */
extern void csv_load(const char *path, CsvData *data);

#endif
