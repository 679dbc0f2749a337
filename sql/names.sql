-- libtechmv: the psql variables every script shares, with their defaults,
-- and the names derived from the view's. Included by the other scripts
-- (\ir names.sql); not meant to be run alone.

\if :{?schema}
\else
  \set schema public
\endif
\if :{?view}
\else
  \set view mv_distinct_technologies
\endif
\if :{?source_table}
\else
  \set source_table companies
\endif
\if :{?source_column}
\else
  \set source_column technologies
\endif
\if :{?id_column}
\else
  \set id_column id
\endif

-- Derived names add up to 12 bytes to the view name (<view>_refresh_log,
-- <view>_log_started); PostgreSQL would silently truncate anything past 63
-- bytes, while the library and these scripts look objects up by their full
-- derived names.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L, HINT = %L; END $chk$',
              '22023',
              format('libtechmv: view name %L is %s bytes long', :'view', octet_length(:'view')),
              'Use a view name of at most 50 bytes so that the derived index, log table and function names fit in 63.')
 WHERE octet_length(:'view') > 50
\gexec

\set value_key :view '_value_key'
\set value_trgm :view '_value_trgm'
\set log_table :view '_refresh_log'
\set log_started :view '_log_started'
\set refresh_func :view '_refresh'
\set status_view :view '_status'
\set cron_job 'refresh_' :view
-- Live mode's own objects (live.sql sets the same names).
\set live_pending :view '_pending'
\set live_state :view '_live_state'
\set live_status :view '_live_status'
\set live_rebuild :view '_rebuild'
\set live_md5_key :view '_value_md5'
\set live_on_insert :view '_on_insert'
\set live_on_update :view '_on_update'
\set live_on_delete :view '_on_delete'
\set live_on_trunc :view '_on_truncate'
-- Search postings (search.sql).
\set grams :view '_grams'
\set grams_key :view '_grams_key'
\set gram_n :view '_gram_n'
\set gram_n_key :view '_gram_n_key'
\set gvals :view '_gvals'
\set gvals_key :view '_gvals_key'
\set grams_apply :view '_grams_apply'
\set grams_sync :view '_grams_sync'
\set gram_trg :view '_gram_trg'
\set gram_ins :view '_gram_ins'
\set gram_del :view '_gram_del'
\set search_func :view '_search'

-- install.sql comments every object it creates with this marker: the schema
-- version and the variables it was installed from, as a JSON object whose
-- first two keys (schema, view) are what a rollback matches on.  Versions 1
-- and 2 marked only the view, with old_comment.  A live install (live.sql)
-- adds "mode":"live" as the last key: live_marker.
SELECT format('libtechmv schema 4: {"schema":%s,"view":%s,"source_table":%s,"source_column":%s,"id_column":%s}',
              to_json(:'schema'::text), to_json(:'view'::text), to_json(:'source_table'::text),
              to_json(:'source_column'::text), to_json(:'id_column'::text)) AS marker,
       format('libtechmv schema 4: {"schema":%s,"view":%s,"source_table":%s,"source_column":%s,"id_column":%s,"mode":"live"}',
              to_json(:'schema'::text), to_json(:'view'::text), to_json(:'source_table'::text),
              to_json(:'source_column'::text), to_json(:'id_column'::text)) AS live_marker,
       format('{"schema":%s,"view":%s,', to_json(:'schema'::text), to_json(:'view'::text)) AS marker_head,
       format('libtechmv: distinct elements of %I.%I.%I (company id column: %I)',
              :'schema', :'source_table', :'source_column', :'id_column') AS old_comment
\gset
