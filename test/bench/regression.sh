#!/usr/bin/env bash
# Regression accuracy against the anchor (issue 14, item 5): 10-fold
# cross-validated RMSE and R² (means over the folds) of bpnn_train's
# defaults with task => 'regression' (bpnn_cross_validate, its own seeded
# folds), of the same with hidden => '{32}', and of scikit-learn's
# MLPRegressor in the reference setup of the shared data sets' README
# (hidden (32,), max_iter 500, seeded with random_state 0 here so that the
# figures repeat; StandardScaler inputs, standardized target
# through TransformedTargetRegressor, KFold(10, shuffle=True,
# random_state=0); numeric columns mean-imputed, text columns one-hot), on
# the four regression sets in test/data (ames and car_prices loaded from
# their fixtures: test/load_data.sql does not load them).  bpnn one-hot
# encodes text columns itself; the columns its default feature choice left
# out are printed from its NOTICE.  Prints one table, with the ratio of
# bpnn's RMSE to scikit-learn's, and the machine.
#
#   PG_BINDIR=<bindir of a PostgreSQL with bpnn installed> bash test/bench/regression.sh
# PORT (default 55509) names the throwaway cluster's socket; it listens on
# no TCP address.  Needs python3-sklearn.
set -euo pipefail
cd "$(dirname "$0")/../.."
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
port=${PORT:-55509}
sets="concrete:compressive_strength diabetes:progression ames:sale_price car_prices:price"

[ -n "${PG_BINDIR:-}" ] || test/setup.sh
source test/bench/lib.bash
bench_machine
bench_cluster_start "$bindir" "$port" -c jit=off
sql -c "CREATE EXTENSION bpnn" >/dev/null
sql -f test/load_data.sql >/dev/null
sql -f test/fixtures/ames.sql >/dev/null
sql -f test/fixtures/car_prices.sql >/dev/null

results=$bench_out/results.txt
for s in $sets; do
	name=${s%%:*} target=${s#*:}
	for variant in defaults hidden32; do
		extra=""
		[ "$variant" = hidden32 ] && extra=", hidden => '{32}'"
		sql -A -t -F ' ' -c "SET client_min_messages = notice;
			SELECT '$name', '$variant', avg(rmse), avg(r2), sum(seconds)
			FROM bpnn_cross_validate('$name', '$target', folds => 10, task => 'regression'$extra)" \
			>> "$results" 2>> "$bench_out/notices.txt"
	done
done
# the default feature choice: what it used, what it left out (one NOTICE per
# set where it left any column out)
sort -u "$bench_out/notices.txt"

/usr/bin/python3 - "$results" $sets <<'PY'
import csv, sys, time, warnings
import numpy as np
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.impute import SimpleImputer
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

warnings.filterwarnings("ignore", category=ConvergenceWarning)
bpnn = {}
for line in open(sys.argv[1]):
    name, variant, rmse, r2, secs = line.split()
    bpnn[name, variant] = (float(rmse), float(r2), float(secs))
print("| data set | bpnn defaults RMSE | R² | bpnn hidden 32 RMSE | R² | scikit-learn RMSE | R² | defaults / scikit-learn RMSE |")
print("|---|---|---|---|---|---|---|---|")
for s in sys.argv[2:]:
    name, target = s.split(":")
    rows = list(csv.reader(open(f"test/data/{name}.csv")))
    header, data = rows[0], np.array(rows[1:], dtype=object)
    X, y = data[:, :-1], data[:, -1].astype(float)
    # a column is text where some non-empty value is not a number; empty is
    # missing (NaN, mean-imputed) in a numeric column, its own category in
    # a text one
    def numeric(col):
        try:
            [float(v) for v in col if v != ""]
            return True
        except ValueError:
            return False
    num = [j for j in range(X.shape[1]) if numeric(X[:, j])]
    txt = [j for j in range(X.shape[1]) if j not in num]
    for j in num:
        X[:, j] = [float(v) if v != "" else np.nan for v in X[:, j]]
    inputs = ColumnTransformer([
        ("num", make_pipeline(FunctionTransformer(lambda a: a.astype(float)),
                              SimpleImputer(strategy="mean"), StandardScaler()), num),
        ("txt", OneHotEncoder(handle_unknown="ignore"), txt)])
    rmses, r2s = [], []
    t0 = time.time()
    for train, test in KFold(10, shuffle=True, random_state=0).split(X):
        model = TransformedTargetRegressor(
            regressor=make_pipeline(inputs, MLPRegressor(hidden_layer_sizes=(32,), max_iter=500, random_state=0)),
            transformer=StandardScaler())
        model.fit(X[train], y[train])
        err = y[test] - model.predict(X[test])
        rmses.append(np.sqrt(np.mean(err ** 2)))
        r2s.append(1 - np.sum(err ** 2) / np.sum((y[test] - y[test].mean()) ** 2))
    sk = (np.mean(rmses), np.mean(r2s))
    d, h = bpnn[name, "defaults"], bpnn[name, "hidden32"]
    print(f"| {name} | {d[0]:.3f} | {d[1]:.3f} | {h[0]:.3f} | {h[1]:.3f} | {sk[0]:.3f} | {sk[1]:.3f} | {d[0] / sk[0]:.3f} |")
PY
bench_machine_end
