-- bpnn upgrade script 0.2.0 -> 0.3.0: what 0.3.0 changes in 0.2.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn (version 0.3.0) creates; test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.3.0'" to load this file. \quit
