-- libtechmv benchmark data: the sample-data generator at benchmark scale.
-- Deterministic: the same data for the same variables, every run.
--
--   psql -v ON_ERROR_STOP=1 -X -q [-v companies=N] [-v technologies=N] \
--        [-v cover_pool=on] -f bench/data.sql
--
-- Defaults: 1,000,000 companies, 5 to 30 technologies each from a pool of
-- 60,000 names with Zipf-like popularity (about 17.5 M elements, 60,000
-- distinct), mixed case, some non-ASCII, some with %, _ and \.
-- With technologies=1000000 and cover_pool=on, every company's first
-- element is a name of its own: 1,000,000 distinct values, the same number
-- of elements.
\set ON_ERROR_STOP on
\if :{?companies}
\else
  \set companies 1000000
\endif
\if :{?technologies}
\else
  \set technologies 60000
\endif
\set min_per_company 5
\set max_per_company 30
\ir ../sql/sample_data.sql
