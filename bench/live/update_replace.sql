\set id random(1, :companies)
\set t random(1, :technologies)
UPDATE companies SET technologies[1] = 'tech-' || lpad(:t::text, 5, '0') WHERE id = :id;
