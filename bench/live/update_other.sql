\set id random(1, :companies)
UPDATE companies SET name = 'Company ' || :id WHERE id = :id;
