/*
 * csv.c — loads a test/data CSV file (see csv.h).
 */
#include "csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "csv: %s: %s\n", path, what);
	exit(2);
}

static char *
strip(char *s)
{
	size_t		n;

	while (*s == ' ' || *s == '"')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == '"' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

void
csv_load(const char *path, CsvData *data)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	int64_t		rows_cap = 1024;
	char	  **labels;
	int			cols = 1;
	char	   *p;
	int64_t		i;

	if (!f)
		die("cannot open", path);
	if (getline(&line, &cap, f) < 0)
		die("empty file", path);
	for (p = line; *p; p++)
		cols += (*p == ',');
	data->n_features = cols - 1;
	data->n_rows = 0;
	data->x = malloc(sizeof(double) * rows_cap * data->n_features);
	labels = malloc(sizeof(char *) * rows_cap);
	while (getline(&line, &cap, f) > 0)
	{
		char	   *save = NULL;
		char	   *tok = strtok_r(line, ",", &save);
		int			c;

		if (data->n_rows == rows_cap)
		{
			rows_cap *= 2;
			data->x = realloc(data->x, sizeof(double) * rows_cap * data->n_features);
			labels = realloc(labels, sizeof(char *) * rows_cap);
		}
		for (c = 0; c < data->n_features; c++)
		{
			char	   *end;

			if (!tok)
				die("short row", path);
			data->x[data->n_rows * data->n_features + c] = strtod(strip(tok), &end);
			if (*end)
				die("non-numeric feature", path);
			tok = strtok_r(NULL, ",", &save);
		}
		if (!tok)
			die("missing label", path);
		labels[data->n_rows++] = strdup(strip(tok));
	}
	fclose(f);
	free(line);

	/* classes: the distinct labels, sorted */
	data->class_names = malloc(sizeof(char *) * data->n_rows);
	memcpy(data->class_names, labels, sizeof(char *) * data->n_rows);
	qsort(data->class_names, data->n_rows, sizeof(char *), cmp_names);
	data->n_classes = 0;
	for (i = 0; i < data->n_rows; i++)
		if (data->n_classes == 0 ||
			strcmp(data->class_names[data->n_classes - 1], data->class_names[i]) != 0)
			data->class_names[data->n_classes++] = data->class_names[i];
	data->y = malloc(sizeof(int32_t) * data->n_rows);
	for (i = 0; i < data->n_rows; i++)
	{
		char	  **hit = bsearch(&labels[i], data->class_names, data->n_classes,
								  sizeof(char *), cmp_names);

		data->y[i] = (int32_t) (hit - data->class_names);
	}
	free(labels);
}
