#!/usr/bin/python3
# test/clients/odbc_client.py — bpnn through psqlODBC (Debian's
# odbc-postgresql, unixodbc), driven by pyodbc (python3-pyodbc), as Excel
# or Power BI reach it (run by test/t/012_clients.pl).
#   argv[1]: the connection string without settings (DRIVER, SERVER, ...)
#   argv[2]: the settings docs/clients.md recommends (UnknownsAsLongVarchar=1 ...)
# psqlODBC sends a ? bound to a string untyped, so ARRAY[?, ?, ?, ?] is a
# text[]; both must score as the typed float8[] call does.  With the
# settings of docs/clients.md the catalog must describe a model, a jsonb and an array
# as long text of a size that holds a model, so that a tool sizing its
# buffers from it does not truncate.  Prints one ok:/FAILED: line per check;
# exits non-zero only when it could not run them.
import sys

import pyodbc

base, settings = sys.argv[1], sys.argv[2]
SQL_VARCHAR, SQL_LONGVARCHAR, SQL_WVARCHAR, SQL_WLONGVARCHAR = 12, -1, -9, -10
SQL_NAMES = {SQL_VARCHAR: "VARCHAR", SQL_LONGVARCHAR: "LONGVARCHAR", SQL_WVARCHAR: "WVARCHAR",
             SQL_WLONGVARCHAR: "WLONGVARCHAR"}


def check(name, ok, detail=""):
    print(("ok: " if ok else "FAILED: ") + "psqlODBC: " + name + ("" if ok else " (" + str(detail) + ")"))


def columns(conn, view):
    return {c.column_name: (c.data_type, c.type_name, c.column_size) for c in conn.cursor().columns(table=view)}


conn = pyodbc.connect(base + settings, autocommit=True)
cur = conn.cursor()
ref = cur.execute("SELECT bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) FROM iris_model").fetchone()[0]
try:
    got = cur.execute("SELECT bpnn_predict(model, ?) FROM iris_model",
                      '{"sepal_length_cm": 5.1, "sepal_width_cm": 3.5, "petal_length_cm": 1.4, "petal_width_cm": 0.2}').fetchone()[0]
    check("? bound to a JSON string scores as float8[]", got == ref, got)
except pyodbc.Error as e:
    check("? bound to a JSON string scores as float8[]", False, e)
try:
    got = cur.execute("SELECT bpnn_predict(model, ARRAY[?, ?, ?, ?]) FROM iris_model", "5.1", "3.5", "1.4", "0.2").fetchone()[0]
    check("ARRAY[?, ?, ?, ?] bound to strings scores as float8[]", got == ref, got)
except pyodbc.Error as e:
    check("ARRAY[?, ?, ?, ?] bound to strings scores as float8[]", False, e)

# a model read out whole and written back through a ? parameter
text, length = cur.execute("SELECT model, length(model::text) FROM iris_model").fetchone()
cur.execute("CREATE TEMP TABLE copies (model bpnn_model)")
cur.execute("INSERT INTO copies VALUES (?)", text)
same = cur.execute("SELECT bool_and(c.model::text = m.model::text) FROM copies c, iris_model m").fetchone()[0]
check("a model of %d characters read out whole and written back" % length, len(text) == length and same,
      (len(text), length, same))

# the catalog, as a reporting tool reads it before it fetches
cur.execute("CREATE VIEW scored AS SELECT model, model::jsonb AS document, "
            "bpnn_predict_proba(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) AS proba, "
            "bpnn_predict(model, ARRAY[5.1, 3.5, 1.4, 0.2]::float8[]) AS class FROM iris_model")
cols = columns(conn, "scored")
long_ok = all(cols[c][0] in (SQL_LONGVARCHAR, SQL_WLONGVARCHAR) and cols[c][2] >= length
              for c in ("model", "document", "proba"))
class_ok = cols["class"][0] in (SQL_VARCHAR, SQL_WVARCHAR)
default = columns(pyodbc.connect(base, autocommit=True), "scored")
check("with the settings of docs/clients.md a model, a jsonb and a float8[] are long text of at least %d characters "
      "and a class is varchar (without them a model is %s(%d))"
      % (length, SQL_NAMES.get(default["model"][0], default["model"][0]), default["model"][2]),
      long_ok and class_ok, cols)
