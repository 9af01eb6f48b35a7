#!/usr/bin/env bash
# Training time of letter.csv, bpnn_train against scikit-learn's
# MLPClassifier on the same machine in the same run: hidden 32, 200 epochs,
# batch 200, learning rate 0.01, momentum 0.9, z-score inputs, 90% of the
# rows (fold 0 of test/load_data.sql held out).  bpnn runs twice: with the
# momentum rule of Jiang 2020 at those settings, and with softmax +
# cross-entropy and Adam (learning rate 0.01) at the same layout, epochs and
# batch size.  Three runs each; prints the median seconds, the ratio and the
# held-out accuracy of each.
#   bash test/bench/letter-vs-sklearn.sh
# Needs test/setup.sh done and python3-sklearn (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
test/setup.sh
dpkg-query -W -f='${Status}' python3-sklearn 2>/dev/null | grep -q "install ok installed" || {
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn >/dev/null; }
runs=${RUNS:-3}
out=$(mktemp -d)
chmod 777 "$out"

cat > "$out/bench.sql" <<SQL
\set ON_ERROR_STOP on
CREATE EXTENSION bpnn;
\o /dev/null
\i test/load_data.sql
\copy csv_lines(line) FROM 'test/data/letter.csv'
SELECT pg_temp.load_csv('letter');
\o
CREATE VIEW letter_train AS SELECT * FROM letter_cv WHERE fold <> 0;
CREATE TABLE runs (variant text, run int, seconds float8, accuracy float8);
DO \$\$
DECLARE
	m bpnn_model; t0 timestamptz; secs float8; acc float8; v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['momentum', 'adam'] LOOP
		FOR run IN 1..$runs LOOP
			t0 := clock_timestamp();
			m := bpnn_train('letter_train', 'label',
				features => ARRAY['x_box','y_box','width','high','onpix','x_bar','y_bar','x2bar',
				                  'y2bar','xybar','x2ybr','xy2br','x_ege','xegvy','y_ege','yegvx'],
				hidden => '{32}', epochs => 200, batch_size => 200, learning_rate => 0.01,
				momentum => 0.9, normalization => 'zscore', optimizer => v,
				loss => CASE v WHEN 'adam' THEN 'cross_entropy' ELSE 'squared_error' END);
			secs := extract(epoch FROM clock_timestamp() - t0);
			SELECT avg((bpnn_predict(m, ARRAY[x_box, y_box, width, high, onpix, x_bar, y_bar, x2bar,
			            y2bar, xybar, x2ybr, xy2br, x_ege, xegvy, y_ege, yegvx]) = label)::int)
			INTO acc FROM letter_cv WHERE fold = 0;
			INSERT INTO runs VALUES (v, run, secs, acc);
		END LOOP;
	END LOOP;
END
\$\$;
\copy (SELECT seconds, accuracy FROM runs WHERE variant = 'momentum' ORDER BY run) TO '$out/bpnn.txt'
\copy (SELECT seconds, accuracy FROM runs WHERE variant = 'adam' ORDER BY run) TO '$out/bpnn_adam.txt'
\copy (SELECT fold FROM letter_cv ORDER BY n) TO '$out/folds.txt'
SQL
pg_virtualenv -t -v 15 -o "port=${BPNN_BENCH_PORT:-55435}" psql -X -q -f "$out/bench.sql"

/usr/bin/python3 - "$out" "$runs" <<'PY'
import sys, time, statistics, warnings
import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
out, runs = sys.argv[1], int(sys.argv[2])
data = np.genfromtxt('test/data/letter.csv', delimiter=',', skip_header=1, dtype=str)
X, y = data[:, :-1].astype(float), data[:, -1]
fold = np.loadtxt(f'{out}/folds.txt', dtype=int)
train, test = fold != 0, fold == 0
scaler = StandardScaler().fit(X[train])
Xtr, Xte = scaler.transform(X[train]), scaler.transform(X[test])
sk = []
for run in range(runs):
    clf = MLPClassifier(hidden_layer_sizes=(32,), solver='sgd', learning_rate_init=0.01, momentum=0.9,
                        batch_size=200, max_iter=200, n_iter_no_change=10**9, tol=0, random_state=run)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        t0 = time.perf_counter(); clf.fit(Xtr, y[train]); secs = time.perf_counter() - t0
    sk.append((secs, clf.score(Xte, y[test])))
bp = [tuple(map(float, l.split())) for l in open(f'{out}/bpnn.txt')]
ba = [tuple(map(float, l.split())) for l in open(f'{out}/bpnn_adam.txt')]
med = lambda rows, i: statistics.median(r[i] for r in rows)
print(f"letter.csv, {train.sum()} training rows, {test.sum()} held out; hidden 32, 200 epochs, batch 200, lr 0.01, momentum 0.9, z-score; median of {runs} runs")
print(f"{'':34}{'seconds':>10}{'held-out accuracy':>20}")
print(f"{'bpnn_train, research momentum':34}{med(bp,0):10.2f}{med(bp,1):20.4f}")
print(f"{'bpnn_train, cross-entropy + Adam':34}{med(ba,0):10.2f}{med(ba,1):20.4f}")
print(f"{'scikit-learn fit':34}{med(sk,0):10.2f}{med(sk,1):20.4f}")
print(f"time ratio bpnn / scikit-learn: research momentum {med(bp,0)/med(sk,0):.2f}, Adam {med(ba,0)/med(sk,0):.2f}")
PY
rm -rf "$out"
