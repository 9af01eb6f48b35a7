-- bpnn upgrade script 0.1.0 -> 0.2.0: the objects 0.2.0 adds to 0.1.0.
-- After ALTER EXTENSION bpnn UPDATE, a database holds exactly what
-- CREATE EXTENSION bpnn (version 0.2.0, sql/install/bpnn.sql) creates;
-- test/t/upgrade.sh checks that.

\echo Use "ALTER EXTENSION bpnn UPDATE TO '0.2.0'" to load this file. \quit
