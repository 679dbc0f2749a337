-- libtechmv: create and fill a sample companies table.
--
--   psql -v ON_ERROR_STOP=1 -X -q -f sql/sample_data.sql \
--        [-v companies=10000] [-v technologies=2000] \
--        [-v min_per_company=5] [-v max_per_company=30] [-v cover_pool=off]
--
-- The table is companies(id, name, technologies text[]), created in the first
-- schema of the search_path (public by default, matching install.sql's
-- defaults); the script fails if it already exists rather than mix old and
-- new rows.
--
-- The data is the same on every run: it is derived from the row numbers
-- through hashint8extended(), whose result depends on the integer value
-- alone (no random(), no seed to carry around).  Popularity is Zipf-like: an element's pool index
-- is floor((pool + 1) ^ u) with u uniform in [0, 1), so index j is drawn with
-- probability log((j + 1) / j) / log(pool + 1): the first few names are in
-- most companies, most names in a handful.
--
-- The pool starts with fixed names that exercise awkward cases (case-only
-- differences, non-ASCII, LIKE wildcards, backslashes, quotes); company i
-- gets fixed name i, and there are fewer than 100 of them, so all of them are
-- present from 100 companies on (given a pool that large).  The rest of the
-- pool is generated and spelled in several case styles.  A company's
-- elements are distinct unless the pool is too small to supply that many
-- distinct names.
--
-- cover_pool=on extends the fixed-name rule to the whole pool: company i's
-- first element is pool entry i, so that min(companies, technologies) names
-- all occur.  Zipf draws alone leave most of a large pool unused (a million
-- names drawn 17.5 million times cover about three quarters of it), which
-- would make the number of distinct values depend on luck rather than on
-- the variables.  Off by default: the data is then the same as without it.

-- A failure must stop the script with a non-zero exit status even when the
-- caller forgot -v ON_ERROR_STOP=1.
\set ON_ERROR_STOP on

\if :{?companies}
\else
  \set companies 10000
\endif
\if :{?technologies}
\else
  \set technologies 2000
\endif
\if :{?min_per_company}
\else
  \set min_per_company 5
\endif
\if :{?max_per_company}
\else
  \set max_per_company 30
\endif
\if :{?cover_pool}
\else
  \set cover_pool off
\endif

SELECT format('DO $chk$ BEGIN RAISE EXCEPTION USING ERRCODE = %L, MESSAGE = %L; END $chk$',
              '22023',
              format('sample_data: need companies >= 0, technologies >= 1 and 0 <= min_per_company <= max_per_company '
                     '(got %s, %s, %s, %s)', :'companies', :'technologies', :'min_per_company', :'max_per_company'))
 WHERE NOT (:'companies'::bigint >= 0
            AND :'technologies'::integer >= 1
            AND :'min_per_company'::integer >= 0
            AND :'max_per_company'::integer >= :'min_per_company'::integer)
\gexec

BEGIN;

-- The fixed head of the technology pool.
CREATE FUNCTION pg_temp.sample_fixed_technologies() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT ARRAY[
    -- Common names first, as they get the most companies.
    'PostgreSQL', 'Python', 'JavaScript', 'Docker', 'React', 'AWS',
    'Kubernetes', 'Java', 'TypeScript', 'Go', 'Node.js', 'Linux',
    'C++', 'C#', 'MySQL', 'Redis', 'Git', 'Terraform', 'Rust', 'GraphQL',
    'MongoDB', 'Kafka', 'Elasticsearch', 'Django', 'Spring Boot', 'Ruby',
    'Ruby on Rails', 'PHP', 'Vue.js', 'Angular', '.NET', 'Azure',
    'Google Cloud', 'Nginx', 'RabbitMQ', 'Ansible', 'Jenkins',
    'GitHub Actions', 'Kotlin', 'Swift', 'Scala', 'Elixir', 'Haskell',
    'Next.js', 'Svelte', 'Flask', 'Laravel', 'Spark', 'Snowflake',
    'TensorFlow', 'PyTorch', 'pandas', 'NumPy',
    -- Same names up to case: distinct elements, and case-insensitive
    -- searches must find both.
    'postgresql', 'mysql', 'python', 'REACT',
    -- Non-ASCII: multi-byte UTF-8, accents, another script.
    'Café-ORM', 'Ünicode-Tools', '日本語-NLP', 'Émacs', 'naïve-bayes', 'Ωmega',
    -- LIKE wildcards and the escape character inside names.
    '100%-Coverage', '50%off', 'snake_case', 'under_score_js',
    E'back\\slash', E'C:\\Tools',
    -- Quotes of both kinds.
    'O''Reilly-Stack', 'say "hi"'
]
$fn$;

-- Name of pool entry idx (1-based): the fixed names, then generated ones.
-- Generated names end in the zero-padded index right after a digit-free
-- prefix, so they are unique among themselves and cannot equal a fixed name.
-- Kept to single expressions so that the planner inlines them.
CREATE FUNCTION pg_temp.sample_technology(idx bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT coalesce(
    (pg_temp.sample_fixed_technologies())[idx],
    (ARRAY['tech-', 'TECH-', 'Tech-', 'lib', 'Lib-', 'py-', 'Py', 'PY_',
           'js-', 'JS', 'go-', 'Go', 'rs-', 'node-', 'Node', 'ng-', 'vue-',
           'Open', 'hyper-', 'Micro', 'cloud_', 'Data.'])[idx % 22 + 1]
        || lpad(idx::text, greatest(5, length(idx::text)), '0'))
$fn$;

-- u in [0, 1) from the low 32 bits of a seeded hash of the company number.
CREATE FUNCTION pg_temp.sample_uniform(i bigint, seed bigint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT (hashint8extended(i, seed) & 4294967295)::double precision / 4294967296
$fn$;

-- Pool index of candidate k of company i: Zipf-like, except that candidate
-- 1 of company i is pool entry i for the first n_first companies (the fixed
-- names, or the whole pool with cover_pool), so that every one of those
-- names occurs as soon as there are as many companies.
CREATE FUNCTION pg_temp.sample_pick(i bigint, k bigint, pool bigint, n_first bigint) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT CASE
         WHEN k = 1 AND i <= least(n_first, pool) THEN i
         ELSE least(pool, floor(power(pool + 1, pg_temp.sample_uniform(i, k)))::bigint)
       END
$fn$;

-- A duplicate fixed name, or a style list out of step with its count (22),
-- would otherwise go unnoticed.
SELECT format('DO $chk$ BEGIN RAISE EXCEPTION %L; END $chk$',
              format('sample_data: the technology pool has %s distinct names out of %s', n_distinct, n))
  FROM (SELECT count(DISTINCT pg_temp.sample_technology(g)) AS n_distinct,
               count(pg_temp.sample_technology(g)) AS n
          FROM generate_series(1, :'technologies'::bigint) AS g) AS pool
 WHERE n_distinct <> :'technologies'::bigint
\gexec

CREATE TABLE companies (
    id           bigint PRIMARY KEY,
    name         text   NOT NULL,
    technologies text[] NOT NULL
);

-- One INSERT ... SELECT with a per-company array subquery: no per-row client
-- round trips and no sort or aggregation over all elements at once.
-- Each company draws twice as many candidates as it needs and keeps the
-- first occurrences, in draw order, so its elements are distinct; only when
-- the pool is too small for that is the array filled up with repeated
-- draws.  The OFFSET 0 keeps the planner from evaluating the array subquery
-- once per reference.
INSERT INTO companies (id, name, technologies)
SELECT c.i,
       'Company ' || c.i,
       CASE
         WHEN cardinality(u.names) >= n.len THEN u.names
         ELSE u.names || ARRAY(SELECT pg_temp.sample_technology(
                                        pg_temp.sample_pick(c.i, k.k, p.pool, p.n_first))
                                 FROM generate_series(1, n.len - cardinality(u.names)) AS k(k)
                                ORDER BY k.k)
       END
  FROM (SELECT :'technologies'::bigint AS pool,
               CASE WHEN :'cover_pool'::boolean THEN :'technologies'::bigint
                    ELSE cardinality(pg_temp.sample_fixed_technologies())
               END AS n_first,
               :'min_per_company'::integer AS min_len,
               :'max_per_company'::integer AS max_len) AS p
 CROSS JOIN generate_series(1, :'companies'::bigint) AS c(i)
 CROSS JOIN LATERAL (
        SELECT p.min_len
               + ((hashint8extended(c.i, 0) & 2147483647) % (p.max_len - p.min_len + 1))::integer AS len) AS n
 CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT pg_temp.sample_technology(d.idx)
                       FROM (SELECT DISTINCT ON (x.idx) x.idx, k.k
                               FROM generate_series(1, 2 * n.len) AS k(k)
                              CROSS JOIN LATERAL (
                                    SELECT pg_temp.sample_pick(c.i, k.k, p.pool, p.n_first) AS idx) AS x
                              ORDER BY x.idx, k.k) AS d
                      ORDER BY d.k
                      LIMIT n.len) AS names
        OFFSET 0) AS u;

COMMIT;

ANALYZE companies;
