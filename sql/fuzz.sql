-- Randomized input: hundreds of seeded mutations of a valid model's text
-- form (characters replaced, spans deleted or repeated, numbers swapped for
-- extreme ones), each read as a bpnn_model and, when accepted, used for a
-- prediction.  Every outcome must be a clean accept or a clean error with a
-- data-exception or invalid-text SQLSTATE; the server must not crash.
-- Uses iris (test/fixtures).
\set ECHO none
\i test/fixtures/iris.sql
\set ECHO all
SELECT setseed(0.42);
CREATE TABLE fuzz_base AS
SELECT bpnn_train('iris', 'label', hidden => '{3}', epochs => 2)::text AS doc;

CREATE FUNCTION fuzz_once(doc text, kind int) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	n int := length(doc);
	p int := 1 + floor(random() * n)::int;
	len int := 1 + floor(random() * 40)::int;
	mutated text;
	m bpnn_model;
BEGIN
	mutated := CASE kind
		WHEN 0 THEN overlay(doc placing chr(32 + floor(random() * 95)::int) from p for 1)
		WHEN 1 THEN overlay(doc placing '' from p for len)
		WHEN 2 THEN overlay(doc placing substr(doc, p, len) from p for 0)
		WHEN 3 THEN regexp_replace(doc, '-?[0-9]+\.[0-9]+',
		                           (ARRAY['1e308', '-1e308', '0', '1e-320', '123456789012345678901234567890', '-0'])[1 + floor(random() * 6)::int],
		                           'g')
		ELSE left(doc, p)
	END;
	BEGIN
		m := mutated::bpnn_model;
		PERFORM bpnn_predict_proba(m, ARRAY[5.1, 3.5, 1.4, 0.2]);
		PERFORM bpnn_info(m);
		RETURN 'accepted';
	EXCEPTION WHEN OTHERS THEN
		RETURN 'rejected ' || SQLSTATE;
	END;
END
$f$;

CREATE TABLE fuzz_outcomes AS
SELECT kind, fuzz_once(doc, kind) AS outcome
FROM fuzz_base, generate_series(1, 120) i, generate_series(0, 4) kind;
-- every outcome is an acceptance or an expected class of error
SELECT count(*) AS tried,
       count(*) FILTER (WHERE outcome = 'accepted') > 0 AS some_accepted,
       count(*) FILTER (WHERE outcome LIKE 'rejected %') > 0 AS some_rejected,
       bool_and(outcome = 'accepted' OR outcome ~ '^rejected (22|XX001)') AS only_clean_errors
FROM fuzz_outcomes;
SELECT DISTINCT outcome FROM fuzz_outcomes WHERE outcome !~ '^(accepted|rejected (22|XX001))';
-- the session is alive and well
SELECT bpnn_predict(doc::bpnn_model, ARRAY[5.1, 3.5, 1.4, 0.2]) IS NOT NULL AS alive FROM fuzz_base;
DROP FUNCTION fuzz_once(text, int);

-- the same for bpnn_state, the gradient aggregate's value: its text form is
-- the binary form in hex, so a mutation is a changed, dropped or repeated
-- byte; accepted states are read, combined and applied to their model
CREATE TABLE fuzz_state_base AS SELECT bpnn_train('iris', 'label', hidden => '{3}', epochs => 2) AS m;
ALTER TABLE fuzz_state_base ADD COLUMN doc text;
UPDATE fuzz_state_base
SET doc = (SELECT bpnn_gradient(m, ARRAY[sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm], label)
           FROM iris)::text;
CREATE FUNCTION fuzz_state_once(m bpnn_model, doc text, kind int) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	n int := length(doc) / 2;
	p int := 2 * floor(random() * n)::int + 1;
	len int := 2 * (1 + floor(random() * 12)::int);
	mutated text;
	s bpnn_state;
BEGIN
	mutated := CASE kind
		WHEN 0 THEN overlay(doc placing lpad(to_hex(floor(random() * 256)::int), 2, '0') from p for 2)
		WHEN 1 THEN overlay(doc placing '' from p for len)
		WHEN 2 THEN overlay(doc placing substr(doc, p, len) from p for 0)
		ELSE left(doc, p - 1)
	END;
	BEGIN
		s := mutated::bpnn_state;
		PERFORM bpnn_state_info(s), bpnn_state_gradient(s);
		PERFORM bpnn_apply_gradient(m, s);
		RETURN 'accepted';
	EXCEPTION WHEN OTHERS THEN
		RETURN 'rejected ' || SQLSTATE;
	END;
END
$f$;
CREATE TABLE fuzz_state_outcomes AS
SELECT kind, fuzz_state_once(m, doc, kind) AS outcome
FROM fuzz_state_base, generate_series(1, 100) i, generate_series(0, 3) kind;
SELECT count(*) AS tried,
       count(*) FILTER (WHERE outcome = 'accepted') > 0 AS some_accepted,
       count(*) FILTER (WHERE outcome LIKE 'rejected %') > 0 AS some_rejected,
       bool_and(outcome = 'accepted' OR outcome ~ '^rejected 22') AS only_clean_errors
FROM fuzz_state_outcomes;
SELECT DISTINCT outcome FROM fuzz_state_outcomes WHERE outcome !~ '^(accepted|rejected 22)';
DROP FUNCTION fuzz_state_once(bpnn_model, text, int);
