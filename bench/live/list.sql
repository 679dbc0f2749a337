\set k random(1, :technologies)
SELECT v.value FROM mv_distinct_technologies v
 WHERE v.value IS NOT NULL
   AND v.value > 'tech-' || lpad(:k::text, 5, '0')
 ORDER BY v.value LIMIT 26;
