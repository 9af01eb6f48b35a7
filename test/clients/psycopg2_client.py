#!/usr/bin/python3
# test/clients/psycopg2_client.py — bpnn from Python with Debian's psycopg2
# (run by test/t/012_clients.pl, in a database holding iris and iris_model).
# psycopg2 sends every parameter as an untyped literal: Json(dict) and a
# string become 'unknown', a list becomes ARRAY[...] of numeric.  Each must
# score as the typed float8[] call does.  Then a model goes out and back in
# as text, bytea, jsonb and through COPY (text and binary).  Prints one
# ok:/FAILED: line per check; exits non-zero only when it could not run them.
import io

import psycopg2
from psycopg2.extras import Json

ROW = {"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}


def check(name, ok, detail=""):
    print(("ok: " if ok else "FAILED: ") + "psycopg2 " + psycopg2.__version__.split()[0] + ": " + name
          + ("" if ok else " (" + str(detail) + ")"))


conn = psycopg2.connect("")  # the libpq environment names the server and database
conn.autocommit = True
cur = conn.cursor()


def one(sql, params=()):
    cur.execute(sql, params)
    return cur.fetchone()[0]


# training from a driver is one call
cur.execute("CREATE TEMP TABLE trained AS SELECT bpnn_train(%s, %s, epochs => %s) AS model", ("iris", "label", 20))
check("bpnn_train with parameters", one("SELECT bpnn_classes(model) FROM trained") == ["setosa", "versicolor", "virginica"])

ref_class = one("SELECT bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) FROM iris_model")
ref_proba = one("SELECT bpnn_predict_proba(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) FROM iris_model")
for what, param in [("Json(dict)", Json(ROW)), ("a list", [5.1, 3.5, 1.4, 0.2]),
                    ("an array literal string", "{5.1, 3.5, 1.4, 0.2}"), ("a JSON string", Json(ROW).dumps(ROW))]:
    try:
        got = (one("SELECT bpnn_predict(model, %s) FROM iris_model", (param,)),
               one("SELECT bpnn_predict_proba(model, %s) FROM iris_model", (param,)))
        check("untyped parameter, " + what + ", scores as float8[]", got == (ref_class, ref_proba), got)
    except psycopg2.Error as e:
        check("untyped parameter, " + what + ", scores as float8[]", False, e.pgerror)

# a row of another shape is an error naming the column, not a silent NULL
try:
    one("SELECT bpnn_predict(model, %s) FROM iris_model", (Json({"sepal_length": 5.1}),))
    check("a row without the model's columns is refused", False, "no error")
except psycopg2.Error as e:
    check("a row without the model's columns is refused (" + e.pgcode + ")",
          e.pgcode == "22023" and 'no key "sepal_length_cm"' in e.pgerror, e.pgerror)

# a model out and back in, in every form
text = one("SELECT model::text FROM iris_model")
cur.execute("CREATE TEMP TABLE copies (form text, model bpnn_model)")
cur.execute("INSERT INTO copies VALUES ('text', %s)", (text,))
cur.execute("INSERT INTO copies VALUES ('bytea', %s)",
            (psycopg2.Binary(one("SELECT model::bytea FROM iris_model")),))
cur.execute("INSERT INTO copies VALUES ('jsonb', %s)", (Json(one("SELECT model::jsonb FROM iris_model")),))
for fmt in ("text", "binary"):
    buf = io.BytesIO()
    cur.copy_expert("COPY (SELECT 'copy " + fmt + "', model FROM iris_model) TO STDOUT (FORMAT " + fmt + ")", buf)
    buf.seek(0)
    cur.copy_expert("COPY copies FROM STDIN (FORMAT " + fmt + ")", buf)
cur.execute("SELECT form, model::text = %s FROM copies ORDER BY form", (text,))
rows = cur.fetchall()
check("a model read out and written back as text, bytea, jsonb, COPY text and COPY binary is the same model",
      len(rows) == 5 and all(same for _, same in rows), rows)
