\set id random(1, 100000)
SELECT * FROM configurations WHERE id = :id;
