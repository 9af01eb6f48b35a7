-- bpnn upgrade script 0.2.0 -> 0.3.0: what 0.3.0 changes in 0.2.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn (version 0.3.0) creates; test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- Security (issue 12): aggregate support functions are not for PUBLIC
-- ---------------------------------------------------------------------------
-- An aggregate checks its owner's EXECUTE right on its support functions,
-- not the caller's, so bpnn_gradient, bpnn_feature_stats and bpnn_fit keep
-- working for every role; what PUBLIC loses is calling these directly and
-- building aggregates of its own on them (user-chosen INITCOND, or another
-- aggregate's internal state).  Each still validates the state it is handed,
-- for the roles that may call it.
REVOKE EXECUTE ON FUNCTION bpnn_gradient_transfn(bpnn_state, bpnn_model, float8[], anyelement) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bpnn_gradient_combinefn(bpnn_state, bpnn_state) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bpnn_gradient_finalfn(bpnn_state) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bpnn_feature_stats_transfn(float8[], float8[], boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bpnn_feature_stats_combinefn(float8[], float8[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bpnn_fit_transfn(internal, float8[], anyelement, jsonb) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bpnn_fit_finalfn(internal) FROM PUBLIC;
